import { Bitfield } from '../core/bitfield.ts';
import { chunkCount, chunkRange, chunkSizeFor } from '../core/chunks.ts';
import { toHex } from '../core/hex.ts';
import { computeContentId, createManifest, type Sha256 } from '../core/manifest.ts';
import type { ChunkStore, StoredFile, Visibility } from './ports.ts';

/**
 * Hashes bytes held in memory into a manifest and stores the chunks: for tests and small
 * payloads. Files from disk or from a browser drop are hashed chunk by chunk elsewhere.
 */
export async function shareBytes(
  store: ChunkStore,
  input: { name: string; mimeType?: string; bytes: Uint8Array; visibility?: Visibility; chunkSize?: number },
  sha256: Sha256
): Promise<StoredFile> {
  const size = input.bytes.length;
  const chunkSize = input.chunkSize ?? chunkSizeFor(size);
  const n = chunkCount(size, chunkSize);
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const { start, end } = chunkRange(size, chunkSize, i);
    hashes.push(toHex(await sha256(input.bytes.subarray(start, end))));
  }
  const manifest = createManifest({ name: input.name, size, mimeType: input.mimeType ?? 'application/octet-stream', chunkSize, chunkHashes: hashes });
  const id = await computeContentId(manifest, sha256);
  const record = { id, manifest, role: 'seed' as const, visibility: input.visibility ?? 'public', addedAt: Date.now() };
  await store.putFile(record);
  for (let i = 0; i < n; i++) {
    const { start, end } = chunkRange(size, chunkSize, i);
    await store.putChunk(id, i, input.bytes.subarray(start, end));
  }
  return { ...record, have: Bitfield.full(n) };
}
