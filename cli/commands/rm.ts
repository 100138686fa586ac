import { rm } from 'node:fs/promises';
import { dataDirOf, type Context } from '../context.ts';
import { DataDir } from '../data-dir.ts';
import { CliError } from '../errors.ts';
import { nodeSha256 } from '../identity.ts';
import { parseIds } from './get.ts';

/**
 * `shoal rm <id-or-link>...`: stops sharing files and forgets downloads, from the data directory
 * and without any network. A shared file stays on disk; a partial download's `.shoal-partial`
 * file is deleted. Refused while a peer runs on this data directory (use `rm` in its shell).
 */
export async function runRm(ctx: Context): Promise<number> {
  const ids = parseIds(ctx.settings.args);
  const data = await DataDir.open(dataDirOf(ctx.settings), nodeSha256);
  const release = await data.lock('peer');
  if (!release) {
    throw new CliError('IN_USE', `A shoal peer is running on ${data.dir}: stop it first, or type rm in its shell.`);
  }
  let missing = 0;
  try {
    for (const id of ids) {
      const record = await data.get(id);
      if (!record) {
        missing++;
        ctx.out.error('NOT_FOUND', `${id} is not shared or downloaded here (shoal ls lists what is).`);
        continue;
      }
      if (!record.complete && record.partial) await rm(record.partial, { force: true });
      await data.delete(id);
      const kept = record.complete ? `${record.path} stays on disk` : 'its partial file is deleted';
      ctx.out.emit('removed', { id, name: record.manifest.name, role: record.role, path: record.complete ? record.path : null }, `removed ${id}  ${record.manifest.name} (${kept})`);
    }
  } finally {
    await release();
  }
  return missing > 0 ? 1 : 0;
}
