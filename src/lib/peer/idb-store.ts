import type { IDBPDatabase } from 'idb';
import { Bitfield } from '../core/bitfield.ts';
import type { Manifest } from '../core/manifest.ts';
import { openShoalDb, type ShoalDb } from './idb-schema.ts';
import type { ChunkStore, ReputationStore, StoredFile } from './ports.ts';

/** Peers remembered at most: bounds the database. */
const MAX_REPUTATION_RECORDS = 2000;

/** The browser's ChunkStore: manifests and chunk Blobs in IndexedDB (idb). */
export class IdbChunkStore implements ChunkStore {
  readonly #db: IDBPDatabase<ShoalDb>;
  readonly #manifests = new Map<string, Manifest>();

  private constructor(db: IDBPDatabase<ShoalDb>) {
    this.#db = db;
  }

  static async open(): Promise<IdbChunkStore> {
    return new IdbChunkStore(await openShoalDb());
  }

  async putFile(file: Omit<StoredFile, 'have'>): Promise<void> {
    const record = { id: file.id, manifest: file.manifest, role: file.role, visibility: file.visibility, addedAt: file.addedAt };
    await this.#db.put('files', record);
    this.#manifests.set(file.id, file.manifest);
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const record = await this.#db.get('files', id);
    if (!record) return undefined;
    const keys = new Set(await this.#db.getAllKeys('chunks'));
    this.#manifests.set(id, record.manifest);
    return { ...record, have: haveOf(record.manifest, keys) };
  }

  async listFiles(): Promise<StoredFile[]> {
    const [records, keyList] = await Promise.all([this.#db.getAll('files'), this.#db.getAllKeys('chunks')]);
    const keys = new Set(keyList);
    return records.map((r) => {
      this.#manifests.set(r.id, r.manifest);
      return { ...r, have: haveOf(r.manifest, keys) };
    });
  }

  async deleteFile(id: string): Promise<void> {
    const records = await this.#db.getAll('files');
    const target = records.find((r) => r.id === id);
    if (!target) return;
    const stillUsed = new Set<string>();
    for (const r of records) if (r.id !== id) for (const h of r.manifest.chunkHashes) stillUsed.add(h);
    const tx = this.#db.transaction(['files', 'chunks'], 'readwrite');
    void tx.objectStore('files').delete(id);
    for (const h of new Set(target.manifest.chunkHashes)) if (!stillUsed.has(h)) void tx.objectStore('chunks').delete(h);
    await tx.done;
    this.#manifests.delete(id);
  }

  async getChunk(id: string, index: number): Promise<Uint8Array | undefined> {
    const hash = (await this.#manifest(id))?.chunkHashes[index];
    if (!hash) return undefined;
    const blob = await this.#db.get('chunks', hash);
    return blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
  }

  async putChunk(id: string, index: number, bytes: Uint8Array): Promise<void> {
    const hash = (await this.#manifest(id))?.chunkHashes[index];
    if (!hash) throw new Error(`No chunk ${index} of ${id} in the store.`);
    await this.#db.put('chunks', new Blob([bytes as Uint8Array<ArrayBuffer>]), hash);
  }

  /** The whole file as one Blob made of the stored chunk Blobs: saved without loading it into memory. */
  async fileBlob(id: string): Promise<Blob> {
    const m = await this.#manifest(id);
    if (!m) throw new Error('Unknown file.');
    const tx = this.#db.transaction('chunks');
    const parts = await Promise.all(m.chunkHashes.map((h) => tx.store.get(h)));
    await tx.done;
    if (parts.some((p) => !p)) throw new Error('The file is not complete.');
    return new Blob(parts as Blob[], { type: m.mimeType || 'application/octet-stream' });
  }

  /** The reputation book lives in the same database. */
  reputationStore(): ReputationStore {
    return {
      load: () => this.#db.getAll('reputation'),
      save: async (records) => {
        const tx = this.#db.transaction('reputation', 'readwrite');
        await tx.store.clear();
        // Keep the peers we hold the strongest opinion of, good or bad.
        const kept = [...records].sort((a, b) => Math.abs(b.score) - Math.abs(a.score)).slice(0, MAX_REPUTATION_RECORDS);
        for (const r of kept) void tx.store.put(r);
        await tx.done;
      }
    };
  }

  /**
   * Deletes the chunks no file record refers to: left by a share that stopped half-way (a tab
   * closed while hashing, a quota error). Call it only while nothing is sharing (see
   * withChunkWriters in browser-peer.ts): a share stores its chunks before its record. Resolves
   * to how many went.
   */
  async collectOrphans(): Promise<number> {
    const tx = this.#db.transaction(['files', 'chunks'], 'readwrite');
    const [records, keys] = await Promise.all([tx.objectStore('files').getAll(), tx.objectStore('chunks').getAllKeys()]);
    const used = new Set<string>();
    for (const r of records) for (const h of r.manifest.chunkHashes) used.add(h);
    const orphans = keys.filter((k) => !used.has(k));
    for (const k of orphans) void tx.objectStore('chunks').delete(k);
    await tx.done;
    return orphans.length;
  }

  close(): void {
    this.#db.close();
  }

  async #manifest(id: string): Promise<Manifest | undefined> {
    let m = this.#manifests.get(id);
    if (!m) {
      m = (await this.#db.get('files', id))?.manifest;
      if (m) this.#manifests.set(id, m);
    }
    return m;
  }
}

function haveOf(m: Manifest, keys: Set<string>): Bitfield {
  const have = new Bitfield(m.chunkHashes.length);
  m.chunkHashes.forEach((h, i) => {
    if (keys.has(h)) have.set(i);
  });
  return have;
}
