/**
 * The file index: every manifest the tracker has verified, with a few facts about it. Survives
 * restarts, and so does the statistics history. Implementations: SQLite (sqlite-store.ts, the
 * default), Redis (redis-store.ts, shared by several tracker processes) and memory
 * (memory-index-store.ts, for tests); all pass index-store.contract.ts. Async so that a shared
 * database can serve.
 */
import type { Manifest } from '../core/manifest.ts';
import type { StatsPoint } from './api.ts';
import type { Visibility } from './schemas.ts';

export interface IndexedFile {
  id: string;
  name: string;
  size: number;
  mimeType: string;
  chunkSize: number;
  chunks: number;
  visibility: Visibility;
  firstSeen: number;
  lastSeen: number;
  announceCount: number;
}

export interface AnnounceRecord {
  id: string;
  /** Required when the id is not in the index yet, ignored otherwise (the first manifest stays). */
  manifest?: Manifest;
  /** Kept only when the file is new: the first announcer's choice stays. */
  visibility: Visibility;
}

/**
 * What a search looks for (search-query.ts builds it). A file matches when its name matches
 * (`exactName` equals the name, or else every word is a substring of the lower-cased name; no
 * words match every name) or when `idPrefix` starts its id. Unlisted files never match.
 */
export interface StoreQuery {
  words: string[];
  exactName?: string;
  idPrefix?: string;
}

export interface SearchRow {
  id: string;
  name: string;
  size: number;
  lastSeen: number;
}

export interface PurgeOptions {
  /** Files looked at per step (default INDEX_PURGE_BATCH). */
  batch?: number;
  /**
   * Asked with the ids of each batch about to go: the ones it returns stay, their last_seen set
   * to `now` (the tracker keeps the files some peer is in the swarm of right now).
   */
  keep?: (ids: string[]) => Promise<ReadonlySet<string>>;
  /** The time a kept file is marked seen at (default `before`). */
  now?: number;
}

export interface IndexStore {
  /** Reported by /api/health, e.g. 'sqlite'. */
  readonly kind: string;
  getFile(id: string): Promise<IndexedFile | undefined>;
  /** Known files among `ids`. */
  getFiles(ids: readonly string[]): Promise<Map<string, IndexedFile>>;
  getManifest(id: string): Promise<Manifest | undefined>;
  /** Inserts new files (with their manifest), and for every record sets last_seen and adds one announce. One transaction. */
  recordAnnounces(records: readonly AnnounceRecord[], now: number): Promise<void>;
  /** Sets last_seen of known files to `now`. */
  touch(ids: readonly string[], now: number): Promise<void>;
  /** Public matches, most recently seen first, at most `maxRows`, and how many there are in all. */
  search(query: StoreQuery, maxRows: number): Promise<{ total: number; rows: SearchRow[] }>;
  countFiles(): Promise<number>;
  /**
   * Deletes every file (facts and manifest) whose last_seen is before `before`, a batch at a
   * time (each a short step, so a large purge never holds the event loop or the database long);
   * a file announced or touched meanwhile stays, and so does one `keep` returns. Resolves to how
   * many went.
   */
  purgeUnseen(before: number, opts?: PurgeOptions): Promise<number>;
  /** Appends one statistics history point (the tracker takes one a minute). */
  addStatsPoint(point: StatsPoint): Promise<void>;
  /** Points taken at or after `since`, oldest first; when more than `maxPoints`, the newest `maxPoints`. */
  statsHistory(since: number, maxPoints: number): Promise<StatsPoint[]>;
  /** Deletes the points taken before `before`; resolves to how many went. */
  pruneStats(before: number): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
}
