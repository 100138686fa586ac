/**
 * The default IndexStore: one SQLite file (`<dataDir>/tracker.sqlite`) through better-sqlite3,
 * in WAL mode. Node only: never import this from browser code.
 */
import Database from 'better-sqlite3';
import type { Manifest } from '../../core/manifest.ts';
import type { StatsPoint } from '../../tracker/api.ts';
import type { AnnounceRecord, IndexStore, PurgeOptions, SearchRow, StoreQuery, IndexedFile } from '../../tracker/index-store.ts';
import { INDEX_PURGE_BATCH } from '../../tracker/constants.ts';
import type { Visibility } from '../../tracker/schemas.ts';

/**
 * Bumped when the schema changes; migrations run from the stored `user_version`.
 * 1 → 2: adds `stats_history` (created by SCHEMA's IF NOT EXISTS; nothing else changes).
 * 2 → 3: adds `files_fts`, a trigram full-text index of `name_lc` kept by a trigger, filled from
 *        the existing rows when an older file is opened.
 * 3 → 4: files can be deleted (the retention sweep): an index on `last_seen` and a delete trigger
 *        that keeps `files_fts` (both created by SCHEMA's IF NOT EXISTS).
 */
const SCHEMA_VERSION = 4;
/** Words shorter than this (in characters) cannot use the trigram index; they are matched with instr. */
const TRIGRAM = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  name_lc        TEXT NOT NULL,
  size           INTEGER NOT NULL,
  mime           TEXT NOT NULL,
  chunk_size     INTEGER NOT NULL,
  chunks         INTEGER NOT NULL,
  manifest       TEXT NOT NULL,
  visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted')),
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  announce_count INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS files_public_recent ON files (visibility, last_seen DESC);
CREATE INDEX IF NOT EXISTS files_last_seen ON files (last_seen);
CREATE VIRTUAL TABLE IF NOT EXISTS files_fts USING fts5(name_lc, content='files', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS files_fts_insert AFTER INSERT ON files BEGIN
  INSERT INTO files_fts (rowid, name_lc) VALUES (new.rowid, new.name_lc);
END;
CREATE TRIGGER IF NOT EXISTS files_fts_delete AFTER DELETE ON files BEGIN
  INSERT INTO files_fts (files_fts, rowid, name_lc) VALUES ('delete', old.rowid, old.name_lc);
END;
CREATE TABLE IF NOT EXISTS stats_history (
  time            INTEGER NOT NULL,
  browser_peers   INTEGER NOT NULL,
  node_peers      INTEGER NOT NULL,
  files           INTEGER NOT NULL,
  swarms          INTEGER NOT NULL,
  bytes_announced INTEGER NOT NULL,
  announces       INTEGER NOT NULL,
  searches        INTEGER NOT NULL,
  signals         INTEGER NOT NULL,
  transfers       INTEGER NOT NULL,
  bytes_up        INTEGER NOT NULL,
  bytes_down      INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS stats_history_time ON stats_history (time);
`;

interface PointRow {
  time: number;
  browser_peers: number;
  node_peers: number;
  files: number;
  swarms: number;
  bytes_announced: number;
  announces: number;
  searches: number;
  signals: number;
  transfers: number;
  bytes_up: number;
  bytes_down: number;
}

const POINT_COLUMNS =
  'time, browser_peers, node_peers, files, swarms, bytes_announced, announces, searches, signals, transfers, bytes_up, bytes_down';

function toPoint(r: PointRow): StatsPoint {
  return {
    time: r.time,
    browserPeers: r.browser_peers,
    nodePeers: r.node_peers,
    files: r.files,
    swarms: r.swarms,
    bytesAnnounced: r.bytes_announced,
    announces: r.announces,
    searches: r.searches,
    signals: r.signals,
    transfers: r.transfers,
    bytesUp: r.bytes_up,
    bytesDown: r.bytes_down
  };
}

interface FileRow {
  id: string;
  name: string;
  size: number;
  mime: string;
  chunk_size: number;
  chunks: number;
  visibility: Visibility;
  first_seen: number;
  last_seen: number;
  announce_count: number;
}

const FILE_COLUMNS = 'id, name, size, mime, chunk_size, chunks, visibility, first_seen, last_seen, announce_count';

function toIndexedFile(r: FileRow): IndexedFile {
  return {
    id: r.id,
    name: r.name,
    size: r.size,
    mimeType: r.mime,
    chunkSize: r.chunk_size,
    chunks: r.chunks,
    visibility: r.visibility,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    announceCount: r.announce_count
  };
}

export class SqliteIndexStore implements IndexStore {
  readonly kind = 'sqlite';
  readonly path: string;
  #db: Database.Database;
  #closed = false;
  #stmts;

  /** Opens (creating if needed) the database at `path`; ':memory:' works too. */
  constructor(path: string) {
    this.path = path;
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.#db.close();
      throw new Error(`${path} has schema version ${version}; this tracker knows ${SCHEMA_VERSION}. Use a newer Shoal.`);
    }
    this.#db.transaction(() => {
      this.#db.exec(SCHEMA);
      // Names never change, so the insert and delete triggers keep the index; rows from before
      // version 3 are indexed once here.
      if (version > 0 && version < 3) this.#db.exec(`INSERT INTO files_fts (files_fts) VALUES ('rebuild')`);
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    const db = this.#db;
    this.#stmts = {
      get: db.prepare<[string], FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`),
      manifest: db.prepare<[string], { manifest: string }>('SELECT manifest FROM files WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO files (id, name, name_lc, size, mime, chunk_size, chunks, manifest, visibility, first_seen, last_seen, announce_count)
         VALUES (@id, @name, @name_lc, @size, @mime, @chunk_size, @chunks, @manifest, @visibility, @now, @now, 1)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, announce_count = announce_count + 1`
      ),
      bump: db.prepare('UPDATE files SET last_seen = ?, announce_count = announce_count + 1 WHERE id = ?'),
      touch: db.prepare('UPDATE files SET last_seen = ? WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM files'),
      stale: db.prepare<[number, number, number], { id: string; r: number }>(
        'SELECT id, rowid AS r FROM files WHERE last_seen < ? AND rowid > ? ORDER BY rowid LIMIT ?'
      ),
      purgeOne: db.prepare('DELETE FROM files WHERE id = ? AND last_seen < ?'),
      addPoint: db.prepare(
        `INSERT INTO stats_history (${POINT_COLUMNS})
         VALUES (@time, @browserPeers, @nodePeers, @files, @swarms, @bytesAnnounced, @announces, @searches, @signals, @transfers, @bytesUp, @bytesDown)`
      ),
      history: db.prepare<[number, number], PointRow>(
        `SELECT ${POINT_COLUMNS} FROM (
           SELECT rowid AS r, ${POINT_COLUMNS} FROM stats_history WHERE time >= ? ORDER BY time DESC, rowid DESC LIMIT ?
         ) ORDER BY time, r`
      ),
      prune: db.prepare('DELETE FROM stats_history WHERE time < ?')
    };
  }

  #open(): Database.Database {
    if (this.#closed) throw new Error('The index store is closed.');
    return this.#db;
  }

  async getFile(id: string): Promise<IndexedFile | undefined> {
    this.#open();
    const row = this.#stmts.get.get(id);
    return row ? toIndexedFile(row) : undefined;
  }

  async getFiles(ids: readonly string[]): Promise<Map<string, IndexedFile>> {
    this.#open();
    const out = new Map<string, IndexedFile>();
    for (const id of ids) {
      const row = this.#stmts.get.get(id);
      if (row) out.set(id, toIndexedFile(row));
    }
    return out;
  }

  async getManifest(id: string): Promise<Manifest | undefined> {
    this.#open();
    const row = this.#stmts.manifest.get(id);
    return row ? (JSON.parse(row.manifest) as Manifest) : undefined;
  }

  async recordAnnounces(records: readonly AnnounceRecord[], now: number): Promise<void> {
    if (this.#closed) return;
    const { insert, bump } = this.#stmts;
    this.#db.transaction(() => {
      for (const r of records) {
        const m = r.manifest;
        if (!m) {
          bump.run(now, r.id);
          continue;
        }
        insert.run({
          id: r.id,
          name: m.name,
          name_lc: m.name.toLowerCase(),
          size: m.size,
          mime: m.mimeType,
          chunk_size: m.chunkSize,
          chunks: m.chunkHashes.length,
          manifest: JSON.stringify(m),
          visibility: r.visibility,
          now
        });
      }
    })();
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    if (this.#closed || ids.length === 0) return;
    const { touch } = this.#stmts;
    this.#db.transaction(() => {
      for (const id of ids) touch.run(now, id);
    })();
  }

  async search(query: StoreQuery, maxRows: number): Promise<{ total: number; rows: SearchRow[] }> {
    const db = this.#open();
    const params: (string | number)[] = [];
    let nameCond: string;
    if (query.exactName !== undefined) {
      nameCond = 'name = ?';
      params.push(query.exactName);
    } else if (query.words.length > 0) {
      // Words of three characters or more go through the trigram index (each a literal phrase);
      // every word is also checked with instr, which decides for short words and non-ASCII case.
      const indexed = query.words.filter((w) => [...w].length >= TRIGRAM);
      const conds: string[] = [];
      if (indexed.length > 0) {
        conds.push('rowid IN (SELECT rowid FROM files_fts WHERE files_fts MATCH ?)');
        params.push(indexed.map((w) => `"${w.replaceAll('"', '""')}"`).join(' AND '));
      }
      for (const w of query.words) {
        conds.push('instr(name_lc, ?) > 0');
        params.push(w);
      }
      nameCond = conds.join(' AND ');
    } else {
      nameCond = '1';
    }
    // With indexed words the trigram candidates drive the query: '+' keeps SQLite from walking
    // files_public_recent (every public file, in order) instead, which cost a rare word at
    // 1,000,000 files most of a second (bench index-search).
    const viaFts = query.exactName === undefined && query.words.some((w) => [...w].length >= TRIGRAM);
    let where = `${viaFts ? '+' : ''}visibility = 'public' AND ((${nameCond})`;
    if (query.idPrefix) {
      // A range on the primary key: ids are lower-case hex, so '~' sorts after every continuation.
      where += ' OR (id >= ? AND id < ?)';
      params.push(query.idPrefix, `${query.idPrefix}~`);
    }
    where += ')';
    const total = (db.prepare(`SELECT count(*) AS n FROM files WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = db
      .prepare(`SELECT id, name, size, last_seen FROM files WHERE ${where} ORDER BY last_seen DESC, id LIMIT ?`)
      .all(...params, maxRows) as { id: string; name: string; size: number; last_seen: number }[];
    return { total, rows: rows.map((r) => ({ id: r.id, name: r.name, size: r.size, lastSeen: r.last_seen })) };
  }

  async countFiles(): Promise<number> {
    this.#open();
    return this.#stmts.count.get()!.n;
  }

  async purgeUnseen(before: number, opts: PurgeOptions = {}): Promise<number> {
    this.#open();
    const batch = opts.batch ?? INDEX_PURGE_BATCH;
    const { stale, purgeOne, touch } = this.#stmts;
    let purged = 0;
    let after = 0; // rowid cursor, so that a kept file is looked at once
    for (;;) {
      const rows = stale.all(before, after, batch);
      if (rows.length === 0) return purged;
      after = rows[rows.length - 1].r;
      const ids = rows.map((r) => r.id);
      const keep = opts.keep ? await opts.keep(ids) : new Set<string>();
      if (this.#closed) return purged;
      this.#db.transaction(() => {
        for (const id of ids) {
          if (keep.has(id)) touch.run(opts.now ?? before, id);
          else purged += purgeOne.run(id, before).changes;
        }
      })();
      if (rows.length < batch) return purged;
      // Between batches the event loop serves whatever waits (announces, searches).
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#closed) return purged;
    }
  }

  async addStatsPoint(point: StatsPoint): Promise<void> {
    this.#open();
    const { time, browserPeers, nodePeers, files, swarms, bytesAnnounced, announces, searches, signals, transfers, bytesUp, bytesDown } = point;
    this.#stmts.addPoint.run({ time, browserPeers, nodePeers, files, swarms, bytesAnnounced, announces, searches, signals, transfers, bytesUp, bytesDown });
  }

  async statsHistory(since: number, maxPoints: number): Promise<StatsPoint[]> {
    this.#open();
    if (maxPoints <= 0) return [];
    return this.#stmts.history.all(since, maxPoints).map(toPoint);
  }

  async pruneStats(before: number): Promise<number> {
    this.#open();
    return this.#stmts.prune.run(before).changes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
