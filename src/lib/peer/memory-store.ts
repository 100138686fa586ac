import { Bitfield } from '../core/bitfield.ts';
import type { ChunkStore, StoredFile } from './ports.ts';

/** A ChunkStore in memory: for tests and for short-lived peers. */
export class MemoryChunkStore implements ChunkStore {
  readonly #files = new Map<string, Omit<StoredFile, 'have'>>();
  readonly #chunks = new Map<string, Map<number, Uint8Array>>();

  async putFile(file: Omit<StoredFile, 'have'>): Promise<void> {
    this.#files.set(file.id, { id: file.id, manifest: file.manifest, role: file.role, visibility: file.visibility, addedAt: file.addedAt });
    if (!this.#chunks.has(file.id)) this.#chunks.set(file.id, new Map());
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const f = this.#files.get(id);
    if (!f) return undefined;
    const have = new Bitfield(f.manifest.chunkHashes.length);
    for (const i of this.#chunks.get(id)?.keys() ?? []) have.set(i);
    return { ...f, have };
  }

  async listFiles(): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    for (const id of this.#files.keys()) out.push((await this.getFile(id))!);
    return out;
  }

  async deleteFile(id: string): Promise<void> {
    this.#files.delete(id);
    this.#chunks.delete(id);
  }

  async getChunk(id: string, index: number): Promise<Uint8Array | undefined> {
    return this.#chunks.get(id)?.get(index);
  }

  async putChunk(id: string, index: number, bytes: Uint8Array): Promise<void> {
    const chunks = this.#chunks.get(id);
    if (!chunks) throw new Error(`No file ${id} in the store.`);
    chunks.set(index, new Uint8Array(bytes)); // a copy even when given a Buffer, whose slice() is a view
  }
}
