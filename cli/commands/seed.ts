import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, fsError, type CliErrorCode } from '../errors.ts';
import { bar, formatBytes, formatPercent, formatRate } from '../format.ts';
import { dataDirOf, shareLink, startPeer, untilAborted, type Context } from '../context.ts';
import { DataDir } from '../data-dir.ts';
import { nodeSha256 } from '../identity.ts';
import type { NodePeer, ShareResult } from '../node-peer.ts';
import { walk } from '../walk.ts';
import { FolderWatcher } from '../watcher.ts';

/** Shares one file with a hashing progress bar and prints its id and link. */
export async function shareOne(ctx: Context, peer: NodePeer, path: string): Promise<ShareResult> {
  const { out } = ctx;
  const visibility = ctx.settings.unlisted ? 'unlisted' : 'public';
  const started = Date.now();
  let lastJson = 0;
  const result = await peer.share(path, visibility, (bytes, total) => {
    const rate = (bytes * 1000) / Math.max(1, Date.now() - started);
    if (out.json) {
      if (Date.now() - lastJson >= 1000) {
        lastJson = Date.now();
        out.emit('hashing', { path, bytes, size: total });
      }
    } else out.progress.update(`hashing ${path} [${bar(bytes, total, 20)}] ${formatPercent(bytes, total)} ${formatRate(rate)}`);
  });
  out.progress.clear();
  const m = result.file.manifest;
  const link = shareLink(ctx.settings, result.id);
  out.emit(
    'shared',
    { id: result.id, name: m.name, size: m.size, path: result.path, link, visibility: result.file.visibility, reused: result.reused },
    `${result.id}  ${m.name}  ${formatBytes(m.size)}${link ? `\n  ${link}` : ''}`
  );
  return result;
}

/**
 * `shoal seed [paths...] [--watch]`: share, then seed until Ctrl-C. Folders given with --watch
 * are remembered in the data directory; a bare `shoal seed` watches them again (`shoal rm
 * <folder>` forgets one).
 */
export async function runSeed(ctx: Context): Promise<number> {
  const { out, settings } = ctx;
  const roots = settings.args.map((p) => resolve(ctx.cwd, p));
  // Fail on a missing (or unreadable, or special) path before anything starts.
  const folders = new Set<string>();
  for (const root of roots) {
    const st = await stat(root).catch((err) => {
      throw fsError(err, 'sharing', root);
    });
    if (st.isDirectory()) folders.add(root);
    else if (!st.isFile()) throw new CliError('BAD_PATH', `Not a regular file or folder (sharing ${root}).`, { path: root });
  }
  const data = await DataDir.open(dataDirOf(settings), nodeSha256);
  const remembered = await data.watched();
  const watchRoots = new Set<string>();
  if (roots.length === 0) {
    // A bare `shoal seed` restarts the seeder as it was: its watched folders too.
    for (const folder of remembered) {
      if ((await stat(folder).catch(() => null))?.isDirectory()) {
        roots.push(folder);
        watchRoots.add(folder);
      } else out.emit('skipped', { path: folder, reason: 'watched folder is gone' }, `skipped ${folder}: the watched folder is gone (shoal rm ${folder} forgets it)`);
    }
  } else if (settings.watch) {
    for (const f of folders) watchRoots.add(f);
    if ([...folders].some((f) => !remembered.includes(f))) await data.setWatched([...remembered, ...folders]);
  }
  const peer = await startPeer(ctx);
  let failures = 0;
  let lastFailure: CliErrorCode = 'IO';
  try {
    await reshareChanged(ctx, peer);
    const byPath = new Map<string, string>(); // path → id shared from it
    for (const f of peer.engine.files()) {
      const r = peer.store.record(f.id);
      if (r?.complete) byPath.set(r.path, f.id);
    }
    const watchers: FolderWatcher[] = [];
    for (const root of roots) {
      const { files, skipped } = await walk(root);
      for (const s of skipped) out.emit('skipped', s, `skipped ${s.path}: ${s.reason}`);
      for (const file of files) {
        if (ctx.signal.aborted) break;
        try {
          const r = await shareOne(ctx, peer, file);
          byPath.set(r.path, r.id);
        } catch (err) {
          failures++;
          if (err instanceof CliError) lastFailure = err.code;
          out.fail(err, { path: file });
        }
      }
      if (watchRoots.has(root)) {
        const known = new Map<string, { size: number; mtimeMs: number }>();
        for (const file of files) {
          const st = await stat(file).catch(() => null);
          if (st) known.set(file, { size: st.size, mtimeMs: st.mtimeMs });
        }
        const w = new FolderWatcher(
          root,
          {
            ready: async (path) => {
              const before = byPath.get(path);
              const r = await shareOne(ctx, peer, path);
              byPath.set(path, r.id);
              if (before && before !== r.id) await unshareIfFrom(peer, before, path);
            },
            removed: async (path) => {
              const id = byPath.get(path);
              byPath.delete(path);
              if (id) {
                await unshareIfFrom(peer, id, path);
                out.emit('unshared', { id, path }, `no longer shared (removed): ${path}`);
              }
            }
          },
          ctx.log.child('watch')
        );
        w.start(known);
        watchers.push(w);
        out.say(`watching ${root}`);
      }
    }
    const count = peer.engine.files().length;
    if (count === 0 && watchers.length === 0) {
      if (failures > 0) {
        // Each failure was reported above with its code; the summary carries the last one.
        throw new CliError(lastFailure, `Nothing could be shared: ${failures} file${failures === 1 ? '' : 's'} failed (above).`);
      }
      throw new CliError('NOT_FOUND', roots.length ? `Nothing to share: no regular file in ${roots.join(', ')}.` : 'Nothing to seed: give files or folders (the data directory lists none).');
    }
    out.emit('seeding', { files: count, peerId: peer.peerId }, `seeding ${count} file${count === 1 ? '' : 's'} as peer ${peer.peerId}; Ctrl-C to stop`);
    const status = setInterval(() => {
      const n = peer.engine.files().length;
      const conns = peer.connector.open;
      const line = `seeding ${n} file${n === 1 ? '' : 's'} · ${conns} peer${conns === 1 ? '' : 's'} · sent ${formatBytes(peer.connector.bytesSent)}`;
      if (out.json) return;
      if (process.stdout.isTTY) out.progress.update(line);
    }, 1000);
    await untilAborted(ctx.signal);
    clearInterval(status);
    out.progress.clear();
    for (const w of watchers) w.stop();
    return failures > 0 && count === 0 ? 1 : 0;
  } finally {
    await peer.stop();
  }
}

/** Unshares `id` if the file it was shared from is `path` (the same bytes may be shared from elsewhere). */
async function unshareIfFrom(peer: NodePeer, id: string, path: string): Promise<void> {
  if (peer.store.record(id)?.path === path) await peer.unshare(id);
}

/** Files that changed on disk since they were last hashed: hash again (a new id), drop the old record. */
async function reshareChanged(ctx: Context, peer: NodePeer): Promise<void> {
  for (const r of peer.loaded.missing) {
    ctx.out.emit('missing', { id: r.id, path: r.path }, `missing, not served: ${r.path} (${r.id})`);
  }
  for (const r of peer.loaded.changed) {
    await peer.data.delete(r.id);
    try {
      ctx.out.say(`changed since last run, hashing again: ${r.path}`);
      await shareOne(ctx, peer, r.path);
    } catch (err) {
      ctx.out.fail(err, { path: r.path });
    }
  }
}
