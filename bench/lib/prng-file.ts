import { createCipheriv, createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Bytes generated and written at once. */
const PIECE = 8 * 1024 * 1024;

/**
 * Writes `size` pseudo-random bytes to `path`: AES-128-CTR over zeros, keyed by `seed` (several
 * GB/s with AES-NI, so a 1 GiB test file takes about a second plus the disk). The same seed gives
 * the same bytes. Incompressible, so no layer can cheat by compressing.
 */
export async function writePrngFile(path: string, size: number, seed = 'shoal-bench'): Promise<void> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(PIECE);
  const fh = await open(path, 'w');
  try {
    let written = 0;
    while (written < size) {
      const n = Math.min(PIECE, size - written);
      const bytes = cipher.update(n === PIECE ? zeros : zeros.subarray(0, n));
      await fh.write(bytes, 0, n, written);
      written += n;
    }
    // On disk before anyone measures: write-back of dirty pages must not run during a benchmark.
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** SHA-256 of a file, streamed, as hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(PIECE);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, PIECE, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
