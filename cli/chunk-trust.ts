import { RACY_WINDOW_MS, RACY_WINDOW_WHOLE_SECONDS_MS, SPOT_CHECK_EVERY } from './constants.ts';

/** What a file's size and mtime were (a stat, or what was recorded when it was hashed). */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/**
 * What to do with a chunk just read from a shared file: `changed` (the file is not the one that
 * was hashed: do not serve it), `verify` (hash it against the manifest first), `trust` (serve it).
 */
export type ReadCheck = 'changed' | 'verify' | 'trust';

/**
 * How far before its hashing a file's mtime must lie for size and mtime to vouch for its bytes.
 * A write lands with the mtime of the kernel's coarse clock (a tick of at most 10 ms on Linux),
 * so a write in the same tick as the last one before hashing would leave the mtime unchanged:
 * such a file is "racy" (git's word for the same problem) and every chunk read from it is hashed.
 * A filesystem that keeps whole seconds only (FAT: 2 s, ext3, HFS+) hides a whole second.
 */
export function racyWindowMs(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? RACY_WINDOW_WHOLE_SECONDS_MS : RACY_WINDOW_MS;
}

/**
 * The seeder's trust in a shared file it hashed (as rsync and make trust a file whose size and
 * mtime are unchanged): the stamp is checked after every read, so bytes read after any write
 * that moved the mtime are never served; a file whose mtime was too close to its hashing is
 * verified on every read; and the first chunk served and every SPOT_CHECK_EVERY-th after it are
 * hashed anyway, so a file rewritten with its old size and mtime put back is caught on a sample.
 */
export class ChunkTrust {
  readonly #stamp: FileStamp;
  readonly #racy: boolean;
  #reads = 0;

  /** `hashedAt`: when hashing began (or any later time: later only makes the file racier). */
  constructor(stamp: FileStamp, hashedAt: number) {
    this.#stamp = { size: stamp.size, mtimeMs: stamp.mtimeMs };
    this.#racy = stamp.mtimeMs > hashedAt - racyWindowMs(stamp.mtimeMs);
  }

  /** True if every read is hashed (the mtime cannot vouch for the bytes). */
  get racy(): boolean {
    return this.#racy;
  }

  /** Decides about a chunk read; `now` is the file's stamp taken after the read finished. */
  check(now: FileStamp): ReadCheck {
    if (now.size !== this.#stamp.size || now.mtimeMs !== this.#stamp.mtimeMs) return 'changed';
    const n = this.#reads++;
    if (this.#racy || n % SPOT_CHECK_EVERY === 0) return 'verify';
    return 'trust';
  }
}
