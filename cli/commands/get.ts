import { parseContentId } from '../../src/lib/core/manifest.ts';
import type { DownloadStatus } from '../../src/lib/peer/download.ts';
import { shareLink, startPeer, untilAborted, type Context } from '../context.ts';
import { CliError, failureOf } from '../errors.ts';
import { bar, formatBytes, formatDuration, formatPercent, formatRate } from '../format.ts';
import type { NodePeer } from '../node-peer.ts';

export interface GetResult {
  id: string;
  ok: boolean;
  /** Where the file was saved; for a failure, the path the failure is about (if any). */
  path?: string;
  /** Bytes received from each peer. */
  peers?: { peerId: string; kind: string; bytes: number }[];
  code?: string;
  message?: string;
}

/** Parses every argument as an id or share link first, so a typo fails before anything starts. */
export function parseIds(args: string[]): string[] {
  if (args.length === 0) throw new CliError('BAD_ARGUMENT', 'Give at least one id or share link.');
  const ids: string[] = [];
  for (const a of args) {
    try {
      const id = parseContentId(a);
      if (!ids.includes(id)) ids.push(id);
    } catch (err) {
      throw new CliError('BAD_ARGUMENT', `${JSON.stringify(a)}: ${(err as Error).message}`);
    }
  }
  return ids;
}

/** A one-line summary of downloads: percentage, speed, peers, time left. */
export function progressLine(statuses: DownloadStatus[]): string {
  const size = statuses.reduce((n, s) => n + s.size, 0);
  const done = statuses.reduce((n, s) => n + s.bytesDone, 0);
  const rate = statuses.reduce((n, s) => n + s.rate, 0);
  const peers = new Set(statuses.flatMap((s) => s.peers.map((p) => p.peerId))).size;
  const eta = rate > 0 ? (size - done) / rate : null;
  const name = statuses.length === 1 ? statuses[0].name : `${statuses.length} files`;
  const waiting = statuses.find((s) => s.state === 'waiting' || s.state === 'starting');
  const tail = waiting && rate === 0 ? ` · ${waiting.reason}` : '';
  return `${name} [${bar(done, size, 24)}] ${formatPercent(done, size)} ${formatBytes(done)}/${formatBytes(size)} ${formatRate(rate)} · ${peers} peer${peers === 1 ? '' : 's'} · ETA ${formatDuration(eta)}${tail}`;
}

/**
 * Downloads `ids` with `peer`, reporting progress; resolves once each one is done or failed.
 * Used by `shoal get` and by the shell's `get`.
 */
export async function download(ctx: Context, peer: NodePeer, ids: string[], opts: { bar: boolean }): Promise<GetResult[]> {
  const { out } = ctx;
  const statuses = new Map<string, DownloadStatus>();
  const results = new Map<string, GetResult>();
  /** id → peer → bytes received, from every status (the last one, at completion, lists no peers). */
  const sources = new Map<string, Map<string, { peerId: string; kind: string; bytes: number }>>();
  let lastJson = 0;
  const render = () => {
    const active = [...statuses.values()].filter((s) => !results.has(s.id));
    if (active.length === 0) return;
    if (out.json) {
      if (Date.now() - lastJson < 1000) return;
      lastJson = Date.now();
      for (const s of active) out.emit('progress', progressFields(s));
    } else if (opts.bar) out.progress.update(progressLine(active));
  };

  return new Promise<GetResult[]>((resolveAll) => {
    let pending = ids.length;
    const settle = (r: GetResult) => {
      if (results.has(r.id)) return;
      results.set(r.id, r);
      const peers = [...(sources.get(r.id)?.values() ?? [])];
      if (r.ok) out.emit('done', { id: r.id, path: r.path, peers }, `saved ${r.path}`);
      else {
        const partial = peer.store.record(r.id)?.partial;
        const fields = { id: r.id, ...(r.path === undefined ? {} : { path: r.path }), partial: partial ?? null };
        out.error(r.code ?? 'DOWNLOAD_FAILED', `${r.id}: ${r.message}${partial ? ` The partial file is kept (${partial}): run the same command again to resume.` : ''}`, fields);
      }
      if (--pending === 0) {
        off();
        out.progress.clear();
        resolveAll(ids.map((id) => results.get(id)!));
      }
    };
    const onStatus = (s: DownloadStatus) => {
      if (!ids.includes(s.id)) return;
      statuses.set(s.id, s);
      let from = sources.get(s.id);
      if (!from) sources.set(s.id, (from = new Map()));
      for (const p of s.peers) from.set(p.peerId, { peerId: p.peerId, kind: p.kind, bytes: Math.max(p.bytes, from.get(p.peerId)?.bytes ?? 0) });
      if (s.state === 'done') {
        if (opts.bar && !out.json) out.progress.update(progressLine([s]));
        out.emit('progress', progressFields(s));
        settle({ id: s.id, ok: true, path: peer.store.record(s.id)?.path });
      } else if (s.state === 'failed') {
        // The engine fails a download only when the store cannot write; the store knows the code and path.
        const cause = peer.store.failure(s.id);
        settle(cause ? { id: s.id, ok: false, code: cause.code, message: cause.message, path: cause.path } : { id: s.id, ok: false, code: 'DOWNLOAD_FAILED', message: s.reason });
      } else render();
    };
    const off = peer.engine.on('download', onStatus);
    for (const id of ids) {
      void (async () => {
        const existing = peer.engine.file(id);
        if (existing?.have.complete) {
          return settle({ id, ok: true, path: peer.store.record(id)?.path });
        }
        try {
          out.say(`fetching ${id}`);
          const d = await peer.engine.download(id, 'public');
          onStatus(d.status());
        } catch (err) {
          settle(startFailure(id, err));
        }
      })();
    }
  });
}

/**
 * Why a download could not start. Only the directory (tracker, LAN) says NOT_FOUND for an id
 * nobody knows; the store's errors (creating the output folder, opening the partial file) are
 * CliErrors with their own code and path, and are never reported as an unknown id.
 */
function startFailure(id: string, err: unknown): GetResult {
  const f = failureOf(err);
  if (!(err instanceof CliError) && f.code === 'NOT_FOUND') {
    return { id, ok: false, code: 'NOT_FOUND', message: `No file with this id is known to the tracker or on the LAN (${f.message}).` };
  }
  return { id, ok: false, code: f.code === 'ERROR' ? 'DOWNLOAD_FAILED' : f.code, message: f.message, path: f.path };
}

function progressFields(s: DownloadStatus): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    state: s.state,
    reason: s.reason,
    have: s.have,
    chunks: s.chunks,
    bytesDone: s.bytesDone,
    size: s.size,
    rate: Math.round(s.rate),
    etaSeconds: s.etaSeconds,
    peers: s.peers.map((p) => ({ peerId: p.peerId, kind: p.kind, bytes: p.bytes, rate: Math.round(p.rate) }))
  };
}

/** `shoal get <ids...> [-o dir] [--seed] [--force]`. */
export async function runGet(ctx: Context): Promise<number> {
  const ids = parseIds(ctx.settings.args);
  const peer = await startPeer(ctx, {
    include: (r) => ids.includes(r.id),
    onCheck: (id, bytes, total) => {
      if (!ctx.out.json) ctx.out.progress.update(`checking the partial file of ${id.slice(0, 12)}… ${formatPercent(bytes, total)}`);
    }
  });
  ctx.out.progress.clear();
  try {
    const aborted = untilAborted(ctx.signal).then(() => null);
    const results = await Promise.race([download(ctx, peer, ids, { bar: true }), aborted]);
    if (results === null) {
      for (const id of ids) {
        const partial = peer.store.record(id)?.partial;
        if (partial) ctx.out.emit('interrupted', { id, partial }, `interrupted; ${partial} is kept: run the same command again to resume`);
      }
      return 130;
    }
    const failed = results.filter((r) => !r.ok).length;
    if (ctx.settings.seed && results.some((r) => r.ok)) {
      const links = results.filter((r) => r.ok).map((r) => shareLink(ctx.settings, r.id) ?? r.id);
      ctx.out.emit('seeding', { files: peer.engine.files().length, peerId: peer.peerId }, `seeding as peer ${peer.peerId}; Ctrl-C to stop\n  ${links.join('\n  ')}`);
      await untilAborted(ctx.signal);
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await peer.stop();
  }
}
