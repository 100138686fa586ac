import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE,
  DEFAULT_CHUNK_SIZE,
  HASH_BYTES,
  ID_HEX_LENGTH,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MAX_FILE_SIZE,
  MAX_MANIFEST_JSON_BYTES,
  MAX_MIME_LENGTH,
  MAX_NAME_LENGTH,
  MAX_MESSAGE_SIZE,
  MAX_PEER_ID_BYTES,
  MIN_CHUNK_SIZE,
  PROTOCOL_VERSION,
  TARGET_MAX_CHUNKS
} from './constants.ts';

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && Number.isInteger(Math.log2(n));

/** The limits depend on one another; these checks keep them consistent if one is changed. */
describe('constants', () => {
  it('fit in the bytes the encodings give them', () => {
    expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(0);
    expect(PROTOCOL_VERSION).toBeLessThanOrEqual(255); // one byte in identity and hello
    expect(MAX_CHUNK_SIZE).toBeLessThanOrEqual(0xffffffff); // u32 in the identity encoding
    expect(MAX_CHUNKS).toBeLessThan(0xffffffff); // u32 count
    expect(MAX_PEER_ID_BYTES).toBeLessThanOrEqual(255); // one length byte in hello
    expect(ID_HEX_LENGTH).toBe(64);
    expect(HASH_BYTES).toBe(32);
  });

  it('order the chunk sizes sensibly', () => {
    for (const s of [MIN_CHUNK_SIZE, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE]) expect(isPowerOfTwo(s)).toBe(true);
    expect(MIN_CHUNK_SIZE).toBeLessThanOrEqual(DEFAULT_CHUNK_SIZE);
    expect(DEFAULT_CHUNK_SIZE).toBeLessThanOrEqual(MAX_CHUNK_SIZE);
    expect(TARGET_MAX_CHUNKS).toBeLessThanOrEqual(MAX_CHUNKS);
    expect(MAX_CHUNKS * MAX_CHUNK_SIZE).toBeLessThanOrEqual(MAX_FILE_SIZE);
  });

  it('let the largest data and have messages fit under MAX_MESSAGE_SIZE', () => {
    expect(1 + HASH_BYTES + 4 + 4 + BLOCK_SIZE).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
    expect(1 + HASH_BYTES + 4 + Math.ceil(MAX_CHUNKS / 8)).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
    expect(1 + 1 + 4 + 1 + MAX_PEER_ID_BYTES).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
  });

  it('keep a block within what every WebRTC data channel takes', () => {
    expect(BLOCK_SIZE).toBeLessThanOrEqual(256 * 1024); // Chromium's measured limit (DESIGN.md)
    expect(BLOCK_SIZE).toBeGreaterThan(0);
  });

  it('let the largest valid manifest fit in MAX_MANIFEST_JSON_BYTES', () => {
    // Every name and MIME character as a six-byte JSON escape, more than any valid one takes.
    const largest = JSON.stringify({
      version: PROTOCOL_VERSION,
      name: '\u0001'.repeat(MAX_NAME_LENGTH),
      size: MAX_FILE_SIZE,
      mimeType: '\u0001'.repeat(MAX_MIME_LENGTH),
      chunkSize: MAX_CHUNK_SIZE,
      chunkHashes: Array.from({ length: MAX_CHUNKS }, () => 'f'.repeat(ID_HEX_LENGTH))
    });
    expect(largest.length).toBeGreaterThan(MAX_CHUNKS * (ID_HEX_LENGTH + 3) + 6 * (MAX_NAME_LENGTH + MAX_MIME_LENGTH) - 1);
    expect(new TextEncoder().encode(largest).length).toBeLessThanOrEqual(MAX_MANIFEST_JSON_BYTES);
  });
});
