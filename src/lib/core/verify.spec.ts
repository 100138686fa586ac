import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MIN_CHUNK_SIZE } from './constants.ts';
import { ChunkError } from './errors.ts';
import { createManifest } from './manifest.ts';
import { verifyChunk } from './verify.ts';

const sha256 = async (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const hexHash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ChunkError) return e.code;
    throw new Error(`Expected a ChunkError, got ${String(e)}`);
  }
  throw new Error('Expected a ChunkError, nothing was thrown');
}

// 40,000 bytes at the smallest chunk size: chunks of 16384, 16384 and 7232 bytes.
const C = MIN_CHUNK_SIZE;
const file = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
const chunks = [file.slice(0, C), file.slice(C, 2 * C), file.slice(2 * C)];
const manifest = createManifest({ name: 'f', size: file.length, mimeType: '', chunkSize: C, chunkHashes: chunks.map(hexHash) });

describe('verifyChunk', () => {
  it('accepts every chunk of the file, including the short last one', async () => {
    expect(chunks[2].length).toBe(7232);
    for (let i = 0; i < 3; i++) await expect(verifyChunk(manifest, i, chunks[i], sha256)).resolves.toBeUndefined();
  });

  it('accepts a chunk given as a view into a larger buffer', async () => {
    await expect(verifyChunk(manifest, 1, file.subarray(C, 2 * C), sha256)).resolves.toBeUndefined();
  });

  it('refuses a wrong length with BAD_CHUNK, without hashing', async () => {
    const spy = vi.fn(sha256);
    const wrong = [new Uint8Array(0), chunks[0].subarray(1), new Uint8Array(C + 1), file.slice(2 * C, file.length - 1), file.slice(2 * C - 1)];
    const indices = [0, 0, 0, 2, 2];
    for (let k = 0; k < wrong.length; k++) expect(await codeOf(verifyChunk(manifest, indices[k], wrong[k], spy))).toBe('BAD_CHUNK');
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a wrong hash with CHUNK_HASH_MISMATCH', async () => {
    for (let i = 0; i < 3; i++) {
      for (const pos of [0, chunks[i].length >> 1, chunks[i].length - 1]) {
        const bad = chunks[i].slice();
        bad[pos] ^= 0x01;
        expect(await codeOf(verifyChunk(manifest, i, bad, sha256))).toBe('CHUNK_HASH_MISMATCH');
      }
    }
    // The right length but another chunk's bytes.
    expect(await codeOf(verifyChunk(manifest, 1, chunks[0], sha256))).toBe('CHUNK_HASH_MISMATCH');
  });

  it('refuses an index outside the file with BAD_CHUNK', async () => {
    for (const index of [-1, 3, 4, 1.5, NaN, Infinity, 2 ** 32]) {
      expect(await codeOf(verifyChunk(manifest, index, chunks[0], sha256))).toBe('BAD_CHUNK');
    }
  });

  it('has no chunk to accept in an empty file', async () => {
    const empty = createManifest({ name: 'e', size: 0, mimeType: '', chunkSize: C, chunkHashes: [] });
    expect(await codeOf(verifyChunk(empty, 0, new Uint8Array(0), sha256))).toBe('BAD_CHUNK');
  });
});
