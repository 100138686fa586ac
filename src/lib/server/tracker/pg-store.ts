/**
 * An IndexStore in PostgreSQL (DATABASE_URL): the shared file index and statistics history of a
 * network of several tracker processes, searched by index (pg_trgm trigrams on the lower-cased
 * name), not by scan. Node only (pg): never import this from browser code. Passes
 * index-store.contract.ts (tests/integration/pg-store.test.ts).
 *
 * Migrations are versioned in `schema_version` (one row per applied version) and run at start,
 * under an advisory lock so that processes starting together apply each once. A database with a
 * newer version than this code knows is refused.
 *
 * Tables:
 * - `files`: one row per verified manifest, `name_lc` the name lower-cased by JavaScript (the same
 *   as the SQLite store, whatever the database's locale), a GIN trigram index on it, a partial
 *   index of public files by recency, ids in the "C" collation so that an id prefix is a range.
 * - `stats_history`: history points, `seq` keeping the order of points of one millisecond.
 */
import pg from 'pg';
import type { Manifest } from '../../core/manifest.ts';
import type { StatsPoint } from '../../tracker/api.ts';
import type { AnnounceRecord, IndexStore, PurgeOptions, SearchRow, StoreQuery, IndexedFile } from '../../tracker/index-store.ts';
import { INDEX_PURGE_BATCH } from '../../tracker/constants.ts';
import type { Visibility } from '../../tracker/schemas.ts';
import { redactUrl } from '../redact-url.ts';

/** Words shorter than this (in characters) cannot use the trigram index; they are matched with strpos. */
const TRIGRAM = 3;
/** Key of the advisory lock migrations hold ('shoal' in ASCII): one process migrates at a time. */
const MIGRATION_LOCK = 0x73686f616c;
/** How often a transaction that PostgreSQL chose as a deadlock victim is run again. */
const DEADLOCK_ATTEMPTS = 3;
/** Connections per process: searches and announces of one process run at most this many at once. */
const POOL_SIZE = 8;
/**
 * The longest one statement may run before PostgreSQL cancels it (its statement_timeout): a
 * search is tens of milliseconds, a purge batch or an announce batch less; a statement stuck
 * behind a lock or a pathological query fails instead of holding one of the pool's connections.
 */
const STATEMENT_TIMEOUT_MS = 10_000;

/** Migration n (1-based) brings the schema from version n - 1 to n. Never edit one that shipped: add another. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE TABLE files (
    id             text COLLATE "C" PRIMARY KEY,
    name           text NOT NULL,
    name_lc        text NOT NULL,
    size           bigint NOT NULL,
    mime           text NOT NULL,
    chunk_size     integer NOT NULL,
    chunks         integer NOT NULL,
    manifest       text NOT NULL,
    visibility     text NOT NULL CHECK (visibility IN ('public', 'unlisted')),
    first_seen     bigint NOT NULL,
    last_seen      bigint NOT NULL,
    announce_count bigint NOT NULL DEFAULT 0
  );
  CREATE INDEX files_public_recent ON files (last_seen DESC, id) WHERE visibility = 'public';
  CREATE INDEX files_name_trgm ON files USING gin (name_lc gin_trgm_ops);
  CREATE TABLE stats_history (
    seq             bigserial PRIMARY KEY,
    time            bigint NOT NULL,
    browser_peers   bigint NOT NULL,
    node_peers      bigint NOT NULL,
    files           bigint NOT NULL,
    swarms          bigint NOT NULL,
    bytes_announced bigint NOT NULL,
    announces       bigint NOT NULL,
    searches        bigint NOT NULL,
    signals         bigint NOT NULL,
    transfers       bigint NOT NULL,
    bytes_up        bigint NOT NULL,
    bytes_down      bigint NOT NULL
  );
  CREATE INDEX stats_history_time ON stats_history (time);
  `,
  // 2: files not seen for the retention are purged (purgeUnseen), found by last_seen.
  `
  CREATE INDEX files_last_seen ON files (last_seen);
  `
];

/** The schema version this code brings a database to. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

export type PgStoreErrorCode = 'STORE_CLOSED' | 'PG_UNREACHABLE' | 'PG_SCHEMA';

export class PgStoreError extends Error {
  readonly code: PgStoreErrorCode;
  constructor(code: PgStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgStoreError';
    this.code = code;
  }
}

export interface PgStoreOptions {
  /** postgres://[user[:password]@]host[:port]/database[?…] */
  url: string;
  /** How long ready() waits for the first connection and the migrations (default 10 s). */
  connectTimeoutMs?: number;
  /** Connections in the pool (default POOL_SIZE). */
  poolSize?: number;
}

const POINT_COLUMNS =
  'time, browser_peers, node_peers, files, swarms, bytes_announced, announces, searches, signals, transfers, bytes_up, bytes_down';

type Row = Record<string, string | number | null>;

function toPoint(r: Row): StatsPoint {
  return {
    time: Number(r.time),
    browserPeers: Number(r.browser_peers),
    nodePeers: Number(r.node_peers),
    files: Number(r.files),
    swarms: Number(r.swarms),
    bytesAnnounced: Number(r.bytes_announced),
    announces: Number(r.announces),
    searches: Number(r.searches),
    signals: Number(r.signals),
    transfers: Number(r.transfers),
    bytesUp: Number(r.bytes_up),
    bytesDown: Number(r.bytes_down)
  };
}

const FILE_COLUMNS = 'id, name, size, mime, chunk_size, chunks, visibility, first_seen, last_seen, announce_count';

function toIndexedFile(r: Row): IndexedFile {
  return {
    id: String(r.id),
    name: String(r.name),
    size: Number(r.size),
    mimeType: String(r.mime),
    chunkSize: Number(r.chunk_size),
    chunks: Number(r.chunks),
    visibility: r.visibility as Visibility,
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    announceCount: Number(r.announce_count)
  };
}

/** `w` as a LIKE pattern matching itself anywhere (backslash is the escape character). */
function containsPattern(w: string): string {
  return `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Every record of one announce batch by id, in id order (so that concurrent transactions lock rows
 * in one order): the first manifest and its visibility, how many records came from that one on
 * (the count of a file this batch inserts), and how many came in all (what a known file gains).
 */
interface Group {
  id: string;
  manifest?: Manifest;
  visibility: Visibility;
  fromFirst: number;
  total: number;
}

function groupRecords(records: readonly AnnounceRecord[]): Group[] {
  const byId = new Map<string, Group>();
  for (const r of records) {
    let g = byId.get(r.id);
    if (!g) byId.set(r.id, (g = { id: r.id, visibility: r.visibility, fromFirst: 0, total: 0 }));
    g.total++;
    if (!g.manifest && r.manifest) {
      g.manifest = r.manifest;
      g.visibility = r.visibility;
    }
    if (g.manifest) g.fromFirst++;
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One statement for a whole batch: known ids without a manifest in the batch are bumped; ids with
 * one are inserted, or bumped when they exist (also when another process inserted them a moment
 * ago: ON CONFLICT decides atomically, and the first manifest stays).
 */
const ANNOUNCE_SQL = `
WITH t AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[], $8::int[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
    AS t(id, name, name_lc, size, mime, chunk_size, chunks, manifest, visibility, from_first, total)
), bumped AS (
  UPDATE files f SET last_seen = $1, announce_count = f.announce_count + t.total
  FROM t WHERE t.name IS NULL AND f.id = t.id
  RETURNING f.id
)
INSERT INTO files AS f (id, name, name_lc, size, mime, chunk_size, chunks, manifest, visibility, first_seen, last_seen, announce_count)
SELECT id, name, name_lc, size, mime, chunk_size, chunks, manifest, visibility, $1, $1, from_first FROM t WHERE t.name IS NOT NULL ORDER BY id
ON CONFLICT (id) DO UPDATE SET last_seen = EXCLUDED.last_seen,
  announce_count = f.announce_count + (SELECT t.total FROM t WHERE t.id = EXCLUDED.id)
`;

export class PgIndexStore implements IndexStore {
  readonly kind = 'postgres';
  /** The URL without its password. */
  readonly where: string;
  #pool: pg.Pool;
  #closed = false;
  #connectTimeoutMs: number;
  #lastError = '';
  #ready?: Promise<void>;

  /** Opens no connection yet: ready() connects and migrates, and every call waits for it. */
  constructor(opts: PgStoreOptions) {
    this.where = redactUrl(opts.url);
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? POOL_SIZE,
      connectionTimeoutMillis: this.#connectTimeoutMs,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      application_name: 'shoal-tracker'
    });
    // An idle connection the server dropped: the pool replaces it; the next query says the rest.
    this.#pool.on('error', (err) => {
      this.#lastError = err.message;
    });
  }

  /**
   * Connects and brings the schema up to PG_SCHEMA_VERSION, within the connect timeout; rejects
   * with PG_UNREACHABLE (where and why, the password hidden) or PG_SCHEMA. Runs once when it
   * succeeds; after a failure the next call (or the next query) tries again.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#migrate().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #migrate(): Promise<void> {
    const ms = this.#connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#unreachable(`within ${ms} ms`)), ms);
    });
    let late = false;
    const connecting = this.#pool.connect();
    // A connection that comes after the timeout goes back to the pool instead of being held.
    connecting.then(
      (c) => late && c.release(),
      () => undefined
    );
    let client: pg.PoolClient;
    try {
      client = await Promise.race([connecting, timeout]);
    } catch (err) {
      late = true;
      clearTimeout(timer);
      if (err instanceof PgStoreError) throw err;
      this.#lastError = err instanceof Error ? err.message || String((err as { code?: string }).code ?? err) : String(err);
      throw this.#unreachable(`within ${ms} ms`);
    }
    clearTimeout(timer);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
      const version = rows[0]?.v ?? 0;
      if (version > PG_SCHEMA_VERSION) {
        throw new PgStoreError('PG_SCHEMA', `The database at ${this.where} has schema version ${version}; this tracker knows ${PG_SCHEMA_VERSION}. Use a newer Shoal.`);
      }
      for (let v = version + 1; v <= PG_SCHEMA_VERSION; v++) {
        await client.query(MIGRATIONS[v - 1]);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof PgStoreError) throw err;
      throw new PgStoreError('PG_SCHEMA', `Cannot prepare the database at ${this.where}: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }

  #unreachable(when: string): PgStoreError {
    const why = this.#lastError ? `: ${this.#lastError}` : '';
    return new PgStoreError('PG_UNREACHABLE', `Cannot reach PostgreSQL at ${this.where} (DATABASE_URL) ${when}${why}.`);
  }

  async #query(text: string, values?: unknown[]): Promise<Row[]> {
    if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
    await this.ready();
    return (await this.#pool.query(text, values)).rows as Row[];
  }

  /** `run` in one transaction; run again when PostgreSQL broke a deadlock by aborting it. */
  async #transaction(run: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await run(client);
        await client.query('COMMIT');
        return;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: string }).code !== '40P01' || attempt >= DEADLOCK_ATTEMPTS) throw err;
      } finally {
        client.release();
      }
    }
  }

  async getFile(id: string): Promise<IndexedFile | undefined> {
    const rows = await this.#query(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1`, [id]);
    return rows[0] ? toIndexedFile(rows[0]) : undefined;
  }

  async getFiles(ids: readonly string[]): Promise<Map<string, IndexedFile>> {
    const out = new Map<string, IndexedFile>();
    const rows = await this.#query(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ANY($1::text[])`, [[...ids]]);
    for (const r of rows) out.set(String(r.id), toIndexedFile(r));
    return out;
  }

  async getManifest(id: string): Promise<Manifest | undefined> {
    const rows = await this.#query('SELECT manifest FROM files WHERE id = $1', [id]);
    return rows[0] ? (JSON.parse(String(rows[0].manifest)) as Manifest) : undefined;
  }

  async recordAnnounces(records: readonly AnnounceRecord[], now: number): Promise<void> {
    if (records.length === 0) {
      if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
      return;
    }
    const groups = groupRecords(records);
    const cols: unknown[][] = Array.from({ length: 11 }, () => []);
    for (const g of groups) {
      const m = g.manifest;
      const values = [
        g.id,
        m ? m.name : null,
        m ? m.name.toLowerCase() : null,
        m ? m.size : null,
        m ? m.mimeType : null,
        m ? m.chunkSize : null,
        m ? m.chunkHashes.length : null,
        m ? JSON.stringify(m) : null,
        g.visibility,
        g.fromFirst,
        g.total
      ];
      values.forEach((v, i) => cols[i].push(v));
    }
    await this.#transaction(async (client) => {
      await client.query(ANNOUNCE_SQL, [now, ...cols]);
    });
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) {
      if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
      return;
    }
    const sorted = [...new Set(ids)].sort();
    await this.#transaction(async (client) => {
      // Rows locked in id order, as announces lock them, so two processes never wait on each other in a cycle.
      await client.query(
        `UPDATE files f SET last_seen = $1 FROM (SELECT id FROM files WHERE id = ANY($2::text[]) ORDER BY id FOR UPDATE) l WHERE f.id = l.id`,
        [now, sorted]
      );
    });
  }

  async search(query: StoreQuery, maxRows: number): Promise<{ total: number; rows: SearchRow[] }> {
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    let nameCond: string;
    if (query.exactName !== undefined) {
      nameCond = `name = ${param(query.exactName)}`;
    } else if (query.words.length > 0) {
      // Words of three characters or more go through the trigram index (LIKE, escaped: literal);
      // shorter ones are checked with strpos on the rows the others left.
      nameCond = query.words
        .map((w) => ([...w].length >= TRIGRAM ? `name_lc LIKE ${param(containsPattern(w))}` : `strpos(name_lc, ${param(w)}) > 0`))
        .join(' AND ');
    } else {
      nameCond = 'true';
    }
    let where = `visibility = 'public' AND ((${nameCond})`;
    if (query.idPrefix) {
      // A range on the primary key: ids are lower-case hex in the C collation, so '~' sorts after every continuation.
      where += ` OR (id >= ${param(query.idPrefix)} AND id < ${param(`${query.idPrefix}~`)})`;
    }
    where += ')';
    const limit = `$${params.length + 1}`;
    const [counted, rows] = await Promise.all([
      this.#query(`SELECT count(*) AS n FROM files WHERE ${where}`, params),
      this.#query(`SELECT id, name, size, last_seen FROM files WHERE ${where} ORDER BY last_seen DESC, id LIMIT ${limit}`, [...params, Math.max(0, maxRows)])
    ]);
    return {
      total: Number(counted[0]?.n ?? 0),
      rows: rows.map((r) => ({ id: String(r.id), name: String(r.name), size: Number(r.size), lastSeen: Number(r.last_seen) }))
    };
  }

  async countFiles(): Promise<number> {
    const rows = await this.#query('SELECT count(*) AS n FROM files');
    return Number(rows[0]?.n ?? 0);
  }

  async purgeUnseen(before: number, opts: PurgeOptions = {}): Promise<number> {
    const batch = opts.batch ?? INDEX_PURGE_BATCH;
    let purged = 0;
    let after = ''; // id cursor, so that a kept file is looked at once
    for (;;) {
      const ids = (await this.#query('SELECT id FROM files WHERE last_seen < $1 AND id > $2 ORDER BY id LIMIT $3', [before, after, batch])).map((r) => String(r.id));
      if (ids.length === 0) return purged;
      after = ids[ids.length - 1];
      const keep = opts.keep ? await opts.keep(ids) : new Set<string>();
      const kept = ids.filter((id) => keep.has(id));
      const gone = ids.filter((id) => !keep.has(id));
      if (kept.length > 0) await this.touch(kept, opts.now ?? before);
      // The condition is checked again on the rows deleted: a file announced meanwhile stays.
      if (gone.length > 0) purged += (await this.#query('DELETE FROM files WHERE id = ANY($1::text[]) AND last_seen < $2 RETURNING 1', [gone, before])).length;
      if (ids.length < batch) return purged;
    }
  }

  async addStatsPoint(point: StatsPoint): Promise<void> {
    const p = point;
    await this.#query(`INSERT INTO stats_history (${POINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
      p.time,
      p.browserPeers,
      p.nodePeers,
      p.files,
      p.swarms,
      p.bytesAnnounced,
      p.announces,
      p.searches,
      p.signals,
      p.transfers,
      p.bytesUp,
      p.bytesDown
    ]);
  }

  async statsHistory(since: number, maxPoints: number): Promise<StatsPoint[]> {
    if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
    if (maxPoints <= 0) return [];
    const rows = await this.#query(
      `SELECT ${POINT_COLUMNS} FROM (
         SELECT seq, ${POINT_COLUMNS} FROM stats_history WHERE time >= $1 ORDER BY time DESC, seq DESC LIMIT $2
       ) newest ORDER BY time, seq`,
      [since, maxPoints]
    );
    return rows.map(toPoint);
  }

  async pruneStats(before: number): Promise<number> {
    if (this.#closed) throw new PgStoreError('STORE_CLOSED', 'The index store is closed.');
    await this.ready();
    return (await this.#pool.query('DELETE FROM stats_history WHERE time < $1', [before])).rowCount ?? 0;
  }

  /** Ends the pool (waiting for queries under way). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch(() => undefined);
  }
}
