import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Bitfield } from '../src/lib/core/bitfield.ts';
import { chunkCount, chunkRange, chunkSizeFor } from '../src/lib/core/chunks.ts';
import { computeContentId, createManifest, type Manifest } from '../src/lib/core/manifest.ts';
import { HASH_CONCURRENCY } from './constants.ts';
import { CliError, fsError } from './errors.ts';
import { nodeSha256 } from './identity.ts';
import { mimeTypeOf } from './mime.ts';

/** Bytes read at once while hashing: chunks of very large files (up to 1 GiB) are hashed piece by piece. */
const READ_PIECE = 4 * 1024 * 1024;

export interface HashedFile {
  id: string;
  manifest: Manifest;
  /** Size and mtime the file had while it was hashed. */
  size: number;
  mtimeMs: number;
  /** When hashing began (Date.now()): an mtime close to it cannot vouch for the bytes (chunk-trust.ts). */
  hashedAt: number;
}

export interface HashOptions {
  /** Bytes hashed so far. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** SHA-256 of bytes [start, end) of an open file, read piece by piece. Returns null if the file is shorter. */
export async function hashRange(fh: FileHandle, start: number, end: number, buf?: Buffer): Promise<string | null> {
  const hash = createHash('sha256');
  const piece = buf ?? Buffer.allocUnsafe(Math.min(READ_PIECE, Math.max(1, end - start)));
  let pos = start;
  while (pos < end) {
    const want = Math.min(piece.length, end - pos);
    const { bytesRead } = await fh.read(piece, 0, want, pos);
    if (bytesRead === 0) return null;
    hash.update(piece.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

/** Runs `work(i, lane)` for i in [0, n) with at most `limit` at once (lanes 0..limit-1), in order of i. */
async function eachLimited(n: number, limit: number, work: (i: number, lane: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (lane: number) => {
    while (next < n) {
      if (signal?.aborted) throw new CliError('IO', 'Stopped.');
      await work(next++, lane);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, n)) }, (_, lane) => worker(lane)));
}

/**
 * Hashes a file on disk into a manifest and its content id, chunk by chunk (never the whole file
 * in memory). Fails with FILE_CHANGED if the file changes while it is read.
 */
export async function hashFile(path: string, opts: HashOptions = {}): Promise<HashedFile> {
  const hashedAt = Date.now();
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fsError(err, 'opening', path);
  }
  try {
    const before = await fh.stat();
    if (!before.isFile()) throw new CliError('BAD_PATH', `Not a regular file: ${path}`, { path });
    const size = before.size;
    const chunkSize = chunkSizeFor(size);
    const n = chunkCount(size, chunkSize);
    const hashes: string[] = new Array(n);
    // One read buffer per lane, reused for every chunk: a fresh 1 MiB buffer per chunk kept the
    // garbage collector busy enough to halve the hashing speed at times.
    const buffers: Buffer[] = [];
    let done = 0;
    await eachLimited(
      n,
      HASH_CONCURRENCY,
      async (i, lane) => {
        const { start, end } = chunkRange(size, chunkSize, i);
        buffers[lane] ??= Buffer.allocUnsafe(Math.min(READ_PIECE, Math.max(1, chunkSize)));
        const h = await hashRange(fh, start, end, buffers[lane]);
        if (h === null) throw new CliError('FILE_CHANGED', `${path} became shorter while it was hashed; try again.`);
        hashes[i] = h;
        done += end - start;
        opts.onProgress?.(done);
      },
      opts.signal
    );
    const after = await stat(path);
    if (after.size !== size || after.mtimeMs !== before.mtimeMs) {
      throw new CliError('FILE_CHANGED', `${path} changed while it was hashed; try again once it is complete.`);
    }
    const manifest = createManifest({ name: basename(path), size, mimeType: mimeTypeOf(path), chunkSize, chunkHashes: hashes });
    return { id: await computeContentId(manifest, nodeSha256), manifest, size, mtimeMs: before.mtimeMs, hashedAt };
  } catch (err) {
    throw err instanceof CliError ? err : fsError(err, 'reading', path);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Which chunks of `manifest` an existing (partial) file already holds, by hashing each chunk that
 * lies within the file and comparing it with the manifest. Used to resume a download: the bitfield
 * is inferred from the bytes themselves, so a stale record can never make a bad chunk count.
 */
export async function verifiedChunks(fh: FileHandle, manifest: Manifest, onProgress?: (bytes: number) => void): Promise<Bitfield> {
  const n = manifest.chunkHashes.length;
  const have = new Bitfield(n);
  const length = (await fh.stat()).size;
  let done = 0;
  // One read buffer per lane, as in hashFile.
  const buffers: Buffer[] = [];
  await eachLimited(n, HASH_CONCURRENCY, async (i, lane) => {
    const { start, end } = chunkRange(manifest.size, manifest.chunkSize, i);
    if (end <= length) {
      buffers[lane] ??= Buffer.allocUnsafe(Math.min(READ_PIECE, Math.max(1, manifest.chunkSize)));
      const h = await hashRange(fh, start, end, buffers[lane]);
      if (h === manifest.chunkHashes[i]) have.set(i);
    }
    done += end - start;
    onProgress?.(done);
  });
  return have;
}
