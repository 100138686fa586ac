import { chunkLength } from './chunks.ts';
import { ChunkError } from './errors.ts';
import { toHex } from './hex.ts';
import type { Manifest, Sha256 } from './manifest.ts';

/** Throws unless `bytes` is exactly chunk `index` of the manifest's file. */
export async function verifyChunk(manifest: Manifest, index: number, bytes: Uint8Array, sha256: Sha256): Promise<void> {
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunkHashes.length) {
    throw new ChunkError('BAD_CHUNK', `No chunk ${index} in this file.`);
  }
  if (bytes.length !== chunkLength(manifest.size, manifest.chunkSize, index)) {
    throw new ChunkError('BAD_CHUNK', `Chunk ${index} has the wrong length.`);
  }
  if (toHex(await sha256(bytes)) !== manifest.chunkHashes[index]) {
    throw new ChunkError('CHUNK_HASH_MISMATCH', `Chunk ${index} does not match its hash.`);
  }
}
