/** Helpers the engine's specs share (engine.spec.ts, swarm.spec.ts); nothing in the app imports them. */
import type { Download } from './download.ts';
import type { MemoryChunkStore } from './memory-store.ts';

/** Resolves when the download is done; rejects with its reason when it fails. */
export function finished(d: Download): Promise<void> {
  if (d.done) return Promise.resolve();
  return new Promise((resolve, reject) => {
    d.on('done', () => resolve());
    d.on('failed', (r) => reject(new Error(r)));
  });
}

/** A stored file's bytes, chunk by chunk from the store. */
export async function readAll(store: MemoryChunkStore, id: string): Promise<Buffer> {
  const f = (await store.getFile(id))!;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < f.have.size; i++) parts.push((await store.getChunk(id, i))!);
  return Buffer.concat(parts);
}
