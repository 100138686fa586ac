/** An IndexStore in memory: for tests and throwaway trackers. Forgets everything on close. */
import type { Manifest } from '../core/manifest.ts';
import type { StatsPoint } from './api.ts';
import { INDEX_PURGE_BATCH } from './constants.ts';
import type { AnnounceRecord, IndexStore, PurgeOptions, SearchRow, StoreQuery, IndexedFile } from './index-store.ts';
import { matchesQuery } from './search-query.ts';

export class MemoryIndexStore implements IndexStore {
  readonly kind = 'memory';
  #files = new Map<string, { file: IndexedFile; manifest: Manifest }>();
  /** Ordered by time (points are appended in time order; an out-of-order one is inserted in place). */
  #points: StatsPoint[] = [];

  async getFile(id: string): Promise<IndexedFile | undefined> {
    const entry = this.#files.get(id);
    return entry ? { ...entry.file } : undefined;
  }

  async getFiles(ids: readonly string[]): Promise<Map<string, IndexedFile>> {
    const out = new Map<string, IndexedFile>();
    for (const id of ids) {
      const entry = this.#files.get(id);
      if (entry) out.set(id, { ...entry.file });
    }
    return out;
  }

  async getManifest(id: string): Promise<Manifest | undefined> {
    const entry = this.#files.get(id);
    return entry ? structuredClone(entry.manifest) : undefined;
  }

  async recordAnnounces(records: readonly AnnounceRecord[], now: number): Promise<void> {
    for (const r of records) {
      const entry = this.#files.get(r.id);
      if (entry) {
        entry.file.lastSeen = now;
        entry.file.announceCount++;
      } else if (r.manifest) {
        const m = r.manifest;
        this.#files.set(r.id, {
          manifest: structuredClone(m),
          file: {
            id: r.id,
            name: m.name,
            size: m.size,
            mimeType: m.mimeType,
            chunkSize: m.chunkSize,
            chunks: m.chunkHashes.length,
            visibility: r.visibility,
            firstSeen: now,
            lastSeen: now,
            announceCount: 1
          }
        });
      }
    }
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    for (const id of ids) {
      const entry = this.#files.get(id);
      if (entry) entry.file.lastSeen = now;
    }
  }

  async search(query: StoreQuery, maxRows: number): Promise<{ total: number; rows: SearchRow[] }> {
    const matches: SearchRow[] = [];
    for (const { file } of this.#files.values()) {
      if (file.visibility !== 'public' || !matchesQuery(query, file)) continue;
      matches.push({ id: file.id, name: file.name, size: file.size, lastSeen: file.lastSeen });
    }
    matches.sort((a, b) => b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : 1));
    return { total: matches.length, rows: matches.slice(0, maxRows) };
  }

  async countFiles(): Promise<number> {
    return this.#files.size;
  }

  async purgeUnseen(before: number, opts: PurgeOptions = {}): Promise<number> {
    const stale = [...this.#files.values()].filter((e) => e.file.lastSeen < before).map((e) => e.file.id);
    const batch = opts.batch ?? INDEX_PURGE_BATCH;
    let purged = 0;
    for (let i = 0; i < stale.length; i += batch) {
      const ids = stale.slice(i, i + batch);
      const keep = opts.keep ? await opts.keep(ids) : new Set<string>();
      for (const id of ids) {
        const entry = this.#files.get(id);
        if (!entry || entry.file.lastSeen >= before) continue;
        if (keep.has(id)) entry.file.lastSeen = opts.now ?? before;
        else if (this.#files.delete(id)) purged++;
      }
    }
    return purged;
  }

  async addStatsPoint(point: StatsPoint): Promise<void> {
    let i = this.#points.length;
    while (i > 0 && this.#points[i - 1].time > point.time) i--;
    this.#points.splice(i, 0, { ...point });
  }

  async statsHistory(since: number, maxPoints: number): Promise<StatsPoint[]> {
    const from = this.#points.findIndex((p) => p.time >= since);
    if (from < 0 || maxPoints <= 0) return [];
    return this.#points.slice(Math.max(from, this.#points.length - maxPoints)).map((p) => ({ ...p }));
  }

  async pruneStats(before: number): Promise<number> {
    const keep = this.#points.filter((p) => p.time >= before);
    const removed = this.#points.length - keep.length;
    this.#points = keep;
    return removed;
  }

  async close(): Promise<void> {
    this.#files.clear();
    this.#points = [];
  }
}
