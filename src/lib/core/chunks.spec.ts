import { describe, expect, it } from 'vitest';
import { chunkCount, chunkLength, chunkRange, chunkSizeFor } from './chunks.ts';
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, TARGET_MAX_CHUNKS } from './constants.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('chunkSizeFor', () => {
  it('uses 1 MiB for an empty file and a one-byte file', () => {
    expect(chunkSizeFor(0)).toBe(MiB);
    expect(chunkSizeFor(1)).toBe(MiB);
    expect(DEFAULT_CHUNK_SIZE).toBe(MiB);
  });

  it('keeps 1 MiB up to exactly 8192 MiB and doubles one byte later', () => {
    expect(chunkSizeFor(8192 * MiB - 1)).toBe(MiB);
    expect(chunkSizeFor(8192 * MiB)).toBe(MiB);
    expect(chunkCount(8192 * MiB, MiB)).toBe(8192);
    expect(chunkSizeFor(8192 * MiB + 1)).toBe(2 * MiB);
    expect(chunkCount(8192 * MiB + 1, 2 * MiB)).toBe(4097);
  });

  it('doubles again at each further boundary', () => {
    for (let shift = 1; shift <= 9; shift++) {
      const chunk = MiB * 2 ** shift; // 2 MiB … 512 MiB
      const limit = TARGET_MAX_CHUNKS * chunk;
      expect(chunkSizeFor(limit)).toBe(chunk);
      expect(chunkSizeFor(limit / 2 + 1)).toBe(chunk);
      expect(chunkSizeFor(limit + 1)).toBe(chunk * 2);
    }
  });

  it('reaches 1 GiB only beyond 4 TiB and never goes above it', () => {
    expect(chunkSizeFor(4 * TiB)).toBe(512 * MiB);
    expect(chunkSizeFor(4 * TiB + 1)).toBe(GiB);
    expect(chunkSizeFor(8 * TiB)).toBe(GiB);
    expect(chunkCount(8 * TiB, GiB)).toBe(8192);
    // Beyond 8 TiB the size is capped and the chunk count grows past the target.
    expect(chunkSizeFor(8 * TiB + 1)).toBe(GiB);
    expect(chunkCount(8 * TiB + 1, GiB)).toBe(8193);
    expect(chunkSizeFor(Number.MAX_SAFE_INTEGER)).toBe(MAX_CHUNK_SIZE);
  });

  it('always gives a power-of-two multiple of 1 MiB, the smallest that meets the target', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const size = Math.floor(rand() ** 3 * 8 * TiB);
      const c = chunkSizeFor(size);
      expect(Number.isInteger(Math.log2(c / MiB))).toBe(true);
      expect(chunkCount(size, c)).toBeLessThanOrEqual(TARGET_MAX_CHUNKS);
      if (c > MiB) expect(chunkCount(size, c / 2)).toBeGreaterThan(TARGET_MAX_CHUNKS);
    }
  });
});

describe('chunkCount', () => {
  it('counts whole and partial chunks', () => {
    expect(chunkCount(0, MiB)).toBe(0);
    expect(chunkCount(1, MiB)).toBe(1);
    expect(chunkCount(MiB - 1, MiB)).toBe(1);
    expect(chunkCount(MiB, MiB)).toBe(1);
    expect(chunkCount(MiB + 1, MiB)).toBe(2);
    expect(chunkCount(3 * MiB, MiB)).toBe(3);
  });
});

describe('chunkRange and chunkLength', () => {
  it('gives full chunks and a short last chunk', () => {
    const size = 2 * MiB + 5;
    expect(chunkRange(size, MiB, 0)).toEqual({ start: 0, end: MiB });
    expect(chunkRange(size, MiB, 1)).toEqual({ start: MiB, end: 2 * MiB });
    expect(chunkRange(size, MiB, 2)).toEqual({ start: 2 * MiB, end: 2 * MiB + 5 });
    expect(chunkLength(size, MiB, 2)).toBe(5);
  });

  it('gives a full last chunk when the size is a multiple of the chunk size', () => {
    expect(chunkRange(3 * MiB, MiB, 2)).toEqual({ start: 2 * MiB, end: 3 * MiB });
    expect(chunkLength(3 * MiB, MiB, 2)).toBe(MiB);
  });

  it('gives a one-byte file one chunk of one byte', () => {
    expect(chunkRange(1, MiB, 0)).toEqual({ start: 0, end: 1 });
    expect(chunkLength(1, MiB, 0)).toBe(1);
  });

  it('covers the file exactly, contiguously, for many sizes', () => {
    for (const size of [1, 2, 16383, 16384, 16385, 100_000, 3 * MiB - 1, 3 * MiB, 3 * MiB + 1]) {
      for (const chunkSize of [16 * 1024, MiB]) {
        const n = chunkCount(size, chunkSize);
        let next = 0;
        for (let i = 0; i < n; i++) {
          const { start, end } = chunkRange(size, chunkSize, i);
          expect(start).toBe(next);
          expect(end).toBeGreaterThan(start);
          expect(end - start).toBeLessThanOrEqual(chunkSize);
          if (i < n - 1) expect(end - start).toBe(chunkSize);
          next = end;
        }
        expect(next).toBe(size);
      }
    }
  });

  it('stays exact at the largest sizes', () => {
    const size = Number.MAX_SAFE_INTEGER;
    const c = chunkSizeFor(size);
    const n = chunkCount(size, c);
    expect(n).toBe(2 ** 23); // (2^53 - 1) / 2^30, rounded up
    const last = chunkRange(size, c, n - 1);
    expect(last).toEqual({ start: (n - 1) * c, end: size });
    expect(chunkLength(size, c, n - 1)).toBe(GiB - 1);
  });
});
