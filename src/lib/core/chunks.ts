import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, TARGET_MAX_CHUNKS } from './constants.ts';

/** The chunk size Shoal uses for a file of `size` bytes: 1 MiB, doubled until ≤ TARGET_MAX_CHUNKS chunks. */
export function chunkSizeFor(size: number): number {
  let chunkSize = DEFAULT_CHUNK_SIZE;
  while (Math.ceil(size / chunkSize) > TARGET_MAX_CHUNKS && chunkSize < MAX_CHUNK_SIZE) chunkSize *= 2;
  return chunkSize;
}

/** Number of chunks of a file; an empty file has none. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Byte range [start, end) of chunk `index`. */
export function chunkRange(size: number, chunkSize: number, index: number): { start: number; end: number } {
  const start = index * chunkSize;
  return { start, end: Math.min(size, start + chunkSize) };
}

export function chunkLength(size: number, chunkSize: number, index: number): number {
  const { start, end } = chunkRange(size, chunkSize, index);
  return end - start;
}
