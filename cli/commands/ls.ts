import { stat } from 'node:fs/promises';
import { dataDirOf, type Context } from '../context.ts';
import { DataDir } from '../data-dir.ts';
import { formatBytes, formatPercent } from '../format.ts';
import { nodeSha256 } from '../identity.ts';

/** `shoal ls`: what the data directory lists, without starting the peer. */
export async function runLs(ctx: Context): Promise<number> {
  const data = await DataDir.open(dataDirOf(ctx.settings), nodeSha256);
  const { records, broken } = await data.list();
  records.sort((a, b) => b.addedAt - a.addedAt);
  for (const r of records) {
    let state: string;
    if (r.complete) {
      const st = await stat(r.path).catch(() => null);
      state = !st ? 'missing' : st.size !== r.manifest.size || st.mtimeMs !== r.mtimeMs ? 'changed' : r.role === 'seed' ? 'shared' : 'downloaded';
    } else {
      const st = r.partial ? await stat(r.partial).catch(() => null) : null;
      state = `partial ${formatPercent(Math.min(st?.size ?? 0, r.manifest.size), r.manifest.size)}`;
    }
    ctx.out.emit(
      'file',
      { id: r.id, name: r.manifest.name, size: r.manifest.size, role: r.role, visibility: r.visibility, state, path: r.path, partial: r.partial ?? null },
      `${r.id}  ${r.manifest.name}  ${formatBytes(r.manifest.size)}  ${state}${r.visibility === 'unlisted' ? ' (unlisted)' : ''}\n  ${r.complete ? r.path : r.partial}`
    );
  }
  for (const name of broken) ctx.out.emit('broken', { file: name }, `(unreadable record ${name}, ignored)`);
  for (const folder of await data.watched()) ctx.out.emit('watched', { path: folder }, `watched folder ${folder}`);
  ctx.out.emit('total', { files: records.length, dataDir: data.dir }, `${records.length} file${records.length === 1 ? '' : 's'} in ${data.dir}`);
  return 0;
}
