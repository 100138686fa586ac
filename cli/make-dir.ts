import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, fsError } from './errors.ts';

/**
 * Creates a folder and any missing parents (as `mkdir -p`, `wget -P` and `aria2c -d` do), or
 * fails with a CliError naming the path: BAD_PATH when a file sits where a folder is needed,
 * PERMISSION (also a read-only file system), DISK_FULL...
 */
export async function makeDir(path: string, action: string, mode?: number): Promise<void> {
  try {
    await mkdirParents(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError('BAD_PATH', `A file is where a folder should be (${action} ${path}).`, { cause: err, path });
    }
    throw fsError(err, action, path);
  }
}

/**
 * One folder at a time, from the first missing one down. Node's `mkdir(path, { recursive: true })`
 * is not used: it reports ENOENT instead of EROFS on a read-only file system (Node 20), and
 * never returns under /proc. An EEXIST that escapes means a non-folder is at `path` itself.
 */
async function mkdirParents(path: string, mode: number | undefined): Promise<void> {
  try {
    await mkdir(path, { mode });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await isDirectory(path))) return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    await mkdirParents(parent, mode);
  }
  try {
    await mkdir(path, { mode });
  } catch (err) {
    // Created meanwhile by another process: fine if it is a folder.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await isDirectory(path))) return;
    throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
