import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PARTIAL_SUFFIX } from './constants.ts';
import { CliError, fsError } from './errors.ts';

/** Files a share of `path` covers: the file itself, or every regular file under a folder. */
export interface WalkResult {
  files: string[];
  /** Entries skipped, with why (unreadable folders, special files, loops). */
  skipped: { path: string; reason: string }[];
}

/**
 * Lists the regular files under `root` (recursively), sorted. Symbolic links to files are
 * followed; links to folders are not (no loops, nothing outside the folder by surprise).
 * Partial downloads (`*.shoal-partial`) are skipped.
 */
export async function walk(root: string): Promise<WalkResult> {
  const start = resolve(root);
  let st;
  try {
    st = await stat(start);
  } catch (err) {
    throw fsError(err, 'reading', start);
  }
  if (st.isFile()) return { files: [await realpath(start)], skipped: [] };
  if (!st.isDirectory()) throw new CliError('BAD_PATH', `Not a regular file or folder: ${start}`, { path: start });
  const out: WalkResult = { files: [], skipped: [] };
  const visit = async (dir: string) => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      out.skipped.push({ path: dir, reason: fsError(err, 'reading', dir).message });
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith(PARTIAL_SUFFIX)) continue;
      let l;
      try {
        l = await lstat(path);
      } catch {
        continue; // vanished meanwhile
      }
      if (l.isDirectory()) await visit(path);
      else if (l.isFile()) out.files.push(path);
      else if (l.isSymbolicLink()) {
        const target = await stat(path).catch(() => null);
        if (target?.isFile()) out.files.push(await realpath(path));
        else out.skipped.push({ path, reason: target ? 'link to a folder' : 'broken link' });
      } else out.skipped.push({ path, reason: 'not a regular file' });
    }
  };
  await visit(start);
  return out;
}
