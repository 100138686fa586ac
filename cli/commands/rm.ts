import { resolve } from 'node:path';
import { dataDirOf, type Context } from '../context.ts';
import { DataDir } from '../data-dir.ts';
import { CliError } from '../errors.ts';
import { removePartial } from '../fs-store.ts';
import { nodeSha256 } from '../identity.ts';
import { parseIds } from './get.ts';

/**
 * `shoal rm <id-or-link-or-watched-folder>...`: stops sharing files and forgets downloads, from
 * the data directory and without any network. A shared file stays on disk; a partial download's
 * `.shoal-partial` file is deleted; a folder that `seed --watch` remembered is no longer watched.
 * Refused while a peer runs on this data directory (use `rm` in its shell).
 */
export async function runRm(ctx: Context): Promise<number> {
  const data = await DataDir.open(dataDirOf(ctx.settings), nodeSha256);
  // A watched folder (shoal seed --watch) is forgotten; everything else must be an id or link.
  const watched = await data.watched();
  const folders = ctx.settings.args.map((a) => resolve(ctx.cwd, a)).filter((p) => watched.includes(p));
  const rest = ctx.settings.args.filter((a) => !folders.includes(resolve(ctx.cwd, a)));
  const ids = rest.length > 0 || folders.length === 0 ? parseIds(rest) : [];
  const release = await data.lock('peer');
  if (!release) {
    throw new CliError('IN_USE', `A shoal peer is running on ${data.dir}: stop it first, or type rm in its shell.`);
  }
  let failed = 0;
  try {
    if (folders.length > 0) {
      await data.setWatched(watched.filter((w) => !folders.includes(w)));
      for (const f of folders) ctx.out.emit('unwatched', { path: f }, `no longer watched: ${f} (its files stay shared until removed)`);
    }
    for (const id of ids) {
      try {
        const record = await data.get(id);
        if (!record) {
          failed++;
          ctx.out.error('NOT_FOUND', `${id} is not shared or downloaded here (shoal ls lists what is).`, { id });
          continue;
        }
        if (!record.complete && record.partial) await removePartial(record.partial);
        await data.delete(id);
        const kept = record.complete ? `${record.path} stays on disk` : 'its partial file is deleted';
        ctx.out.emit('removed', { id, name: record.manifest.name, role: record.role, path: record.complete ? record.path : null }, `removed ${id}  ${record.manifest.name} (${kept})`);
      } catch (err) {
        // A record that cannot be read or deleted is reported with its code and path; the other ids go on.
        failed++;
        ctx.out.fail(err, { id });
      }
    }
  } finally {
    await release();
  }
  return failed > 0 ? 1 : 0;
}
