/**
 * An IndexStore in Redis: the shared file index when several tracker processes run against one
 * Redis server. Node only (ioredis): never import this from browser code. Passes
 * index-store.contract.ts (tests/integration/redis-store.test.ts).
 *
 * Meant for a single Redis server (or a primary with replicas), not Redis Cluster: the announce
 * script and the search touch keys in many hash slots.
 *
 * Data model; every key starts with the prefix `P` (default 'shoal:'), numbers are decimal strings:
 * - `P file:<id>`  hash   name, size, mimeType, chunkSize, chunks, visibility, firstSeen, lastSeen,
 *                         announceCount, manifest (JSON of the first manifest).
 * - `P ids`        zset   every known id, score 0 (lexicographic order; ZCARD counts the files).
 * - `P public`     hash   public id → lower-cased name: what a search scans (HSCAN).
 * - `P stats`      zset   history points, score = point time, member =
 *                         `<16-digit sequence> <JSON of the point>` (unique, and in insertion order
 *                         among points of the same millisecond).
 * - `P stats:seq`  string INCR counter for those sequence numbers.
 * A file's name and visibility never change; purgeUnseen deletes a file's hash, its `ids` member
 * and its `public` field together (one script per batch).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Manifest } from '../../core/manifest.ts';
import type { StatsPoint } from '../../tracker/api.ts';
import type { AnnounceRecord, IndexStore, PurgeOptions, SearchRow, StoreQuery, IndexedFile } from '../../tracker/index-store.ts';
import { INDEX_PURGE_BATCH } from '../../tracker/constants.ts';
import type { Visibility } from '../../tracker/schemas.ts';

/** Default key prefix; tests and co-tenants choose their own. */
const DEFAULT_PREFIX = 'shoal:';
/** HSCAN COUNT hint, and the most commands in one pipeline during a search: keeps each reply and each pipeline bounded. */
const BATCH = 1_000;
/** Width of the zero-padded sequence number in a history member: 2^53 has 16 digits. */
const SEQ_DIGITS = 16;

export type RedisStoreErrorCode = 'STORE_CLOSED' | 'REDIS_REPLY';

export class RedisStoreError extends Error {
  readonly code: RedisStoreErrorCode;
  constructor(code: RedisStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisStoreError';
    this.code = code;
  }
}

/**
 * KEYS[1] ids, KEYS[2] public, KEYS[2 + i] file hash of record i. ARGV[1] now, then 10 per record:
 * id, has manifest ('1' or ''), name, lower-cased name, size, mimeType, chunkSize, chunks,
 * visibility, manifest JSON. An existing file is bumped; a new one is inserted whole, or not at all.
 */
const ANNOUNCE_LUA = `
local now = ARGV[1]
for i = 1, #KEYS - 2 do
  local key = KEYS[i + 2]
  local a = 1 + (i - 1) * 10
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'lastSeen', now)
    redis.call('HINCRBY', key, 'announceCount', 1)
  elseif ARGV[a + 2] == '1' then
    local id = ARGV[a + 1]
    redis.call('HSET', key, 'name', ARGV[a + 3], 'size', ARGV[a + 5], 'mimeType', ARGV[a + 6],
      'chunkSize', ARGV[a + 7], 'chunks', ARGV[a + 8], 'visibility', ARGV[a + 9], 'manifest', ARGV[a + 10],
      'firstSeen', now, 'lastSeen', now, 'announceCount', 1)
    redis.call('ZADD', KEYS[1], 0, id)
    if ARGV[a + 9] == 'public' then
      redis.call('HSET', KEYS[2], id, ARGV[a + 4])
    end
  end
end
return 0
`;

/** KEYS: file hashes; ARGV[1] now. Sets lastSeen of the ones that exist, creates nothing. */
const TOUCH_LUA = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'lastSeen', ARGV[1])
  end
end
return 0
`;

/**
 * KEYS[1] ids, KEYS[2] public, KEYS[2 + i] file hash of id ARGV[1 + i]; ARGV[1] the time. Deletes
 * the files last seen before it (checked here, so a file announced meanwhile stays).
 */
const PURGE_LUA = `
local purged = 0
local before = tonumber(ARGV[1])
for i = 3, #KEYS do
  local seen = redis.call('HGET', KEYS[i], 'lastSeen')
  if seen and tonumber(seen) < before then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], ARGV[i - 1])
    redis.call('HDEL', KEYS[2], ARGV[i - 1])
    purged = purged + 1
  end
end
return purged
`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const ANNOUNCE = script(ANNOUNCE_LUA);
const TOUCH = script(TOUCH_LUA);
const PURGE = script(PURGE_LUA);

const FILE_FIELDS = ['name', 'size', 'mimeType', 'chunkSize', 'chunks', 'visibility', 'firstSeen', 'lastSeen', 'announceCount'] as const;

function toIndexedFile(id: string, v: (string | null)[]): IndexedFile | undefined {
  const [name, size, mimeType, chunkSize, chunks, visibility, firstSeen, lastSeen, announceCount] = v;
  if (name === null || name === undefined) return undefined;
  return {
    id,
    name,
    size: Number(size),
    mimeType: mimeType ?? '',
    chunkSize: Number(chunkSize),
    chunks: Number(chunks),
    visibility: visibility as Visibility,
    firstSeen: Number(firstSeen),
    lastSeen: Number(lastSeen),
    announceCount: Number(announceCount)
  };
}

const POINT_FIELDS = [
  'time',
  'browserPeers',
  'nodePeers',
  'files',
  'swarms',
  'bytesAnnounced',
  'announces',
  'searches',
  'signals',
  'transfers',
  'bytesUp',
  'bytesDown'
] as const satisfies readonly (keyof StatsPoint)[];

/** The point's own fields only, as decimal strings (exact for integers up to 2^53). */
function encodePoint(point: StatsPoint): string {
  const out: Record<string, string> = {};
  for (const f of POINT_FIELDS) out[f] = String(point[f]);
  return JSON.stringify(out);
}

function decodePoint(member: string): StatsPoint {
  const raw = JSON.parse(member.slice(member.indexOf(' ') + 1)) as Record<string, string>;
  const out = {} as Record<(typeof POINT_FIELDS)[number], number>;
  for (const f of POINT_FIELDS) out[f] = Number(raw[f]);
  return out;
}

/** A Redis score bound: ioredis would send `Infinity`, which Redis refuses. */
function scoreBound(n: number, exclusive = false): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  return `${exclusive ? '(' : ''}${n}`;
}

/** Results of a pipeline, or its first error. */
function pipelineResults(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new RedisStoreError('REDIS_REPLY', 'Redis did not run the pipeline.');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export interface RedisIndexStoreOptions {
  /** Start of every key; default 'shoal:'. */
  prefix?: string;
}

export class RedisIndexStore implements IndexStore {
  readonly kind = 'redis';
  readonly prefix: string;
  readonly #redis: Redis;
  readonly #keys: { ids: string; public: string; stats: string; statsSeq: string };
  #closing: Promise<void> | undefined;

  constructor(redis: Redis, opts: RedisIndexStoreOptions = {}) {
    this.#redis = redis;
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    const p = this.prefix;
    this.#keys = { ids: `${p}ids`, public: `${p}public`, stats: `${p}stats`, statsSeq: `${p}stats:seq` };
  }

  #open(): Redis {
    if (this.#closing) throw new RedisStoreError('STORE_CLOSED', 'The index store is closed.');
    return this.#redis;
  }

  #fileKey(id: string): string {
    return `${this.prefix}file:${id}`;
  }

  async #run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    const redis = this.#open();
    try {
      return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // NOSCRIPT is Redis's code for a script it has not cached (new server, SCRIPT FLUSH).
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.#open().eval(s.source, keys.length, ...keys, ...args);
    }
  }

  async getFile(id: string): Promise<IndexedFile | undefined> {
    const values = await this.#open().hmget(this.#fileKey(id), ...FILE_FIELDS);
    return toIndexedFile(id, values);
  }

  async getFiles(ids: readonly string[]): Promise<Map<string, IndexedFile>> {
    const redis = this.#open();
    const out = new Map<string, IndexedFile>();
    if (ids.length === 0) return out;
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hmget(this.#fileKey(id), ...FILE_FIELDS);
    const results = pipelineResults(await pipe.exec());
    ids.forEach((id, i) => {
      const file = toIndexedFile(id, results[i] as (string | null)[]);
      if (file) out.set(id, file);
    });
    return out;
  }

  async getManifest(id: string): Promise<Manifest | undefined> {
    const json = await this.#open().hget(this.#fileKey(id), 'manifest');
    return json === null ? undefined : (JSON.parse(json) as Manifest);
  }

  async recordAnnounces(records: readonly AnnounceRecord[], now: number): Promise<void> {
    this.#open();
    if (records.length === 0) return;
    const keys = [this.#keys.ids, this.#keys.public];
    const args: string[] = [String(now)];
    for (const r of records) {
      keys.push(this.#fileKey(r.id));
      const m = r.manifest;
      if (!m) {
        args.push(r.id, '', '', '', '', '', '', '', '', '');
        continue;
      }
      args.push(
        r.id,
        '1',
        m.name,
        m.name.toLowerCase(),
        String(m.size),
        m.mimeType,
        String(m.chunkSize),
        String(m.chunkHashes.length),
        r.visibility,
        JSON.stringify(m)
      );
    }
    await this.#run(ANNOUNCE, keys, args);
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    this.#open();
    if (ids.length === 0) return;
    await this.#run(
      TOUCH,
      ids.map((id) => this.#fileKey(id)),
      [String(now)]
    );
  }

  /**
   * Scans the public names (HSCAN), then reads lastSeen of the matches (pipelined), sorts, and
   * reads name and size of the rows returned. An id prefix is tested during the same scan: every
   * query has a name condition that needs the scan anyway (no words match every name).
   */
  async search(query: StoreQuery, maxRows: number): Promise<{ total: number; rows: SearchRow[] }> {
    let redis = this.#open();
    const { exactName, idPrefix, words } = query;
    const exactLc = exactName?.toLowerCase();
    /** Matches for sure, and (exact name only) ids whose lower-cased name fits: their real name decides. */
    const matched = new Set<string>();
    const candidates = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(this.#keys.public, cursor, 'COUNT', BATCH);
      redis = this.#open();
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i];
        const lc = flat[i + 1];
        if (idPrefix && id.startsWith(idPrefix)) matched.add(id);
        else if (exactLc !== undefined) {
          if (lc === exactLc) candidates.add(id);
        } else if (words.every((w) => lc.includes(w))) matched.add(id);
      }
    } while (cursor !== '0');

    const seen = new Map<string, number>();
    for (const batch of chunks([...matched], BATCH)) {
      const pipe = redis.pipeline();
      for (const id of batch) pipe.hget(this.#fileKey(id), 'lastSeen');
      const results = pipelineResults(await pipe.exec());
      redis = this.#open();
      batch.forEach((id, i) => {
        if (results[i] !== null) seen.set(id, Number(results[i]));
      });
    }
    for (const batch of chunks([...candidates], BATCH)) {
      const pipe = redis.pipeline();
      for (const id of batch) pipe.hmget(this.#fileKey(id), 'name', 'lastSeen');
      const results = pipelineResults(await pipe.exec());
      redis = this.#open();
      batch.forEach((id, i) => {
        const [name, lastSeen] = results[i] as (string | null)[];
        if (name === exactName && lastSeen !== null) seen.set(id, Number(lastSeen));
      });
    }

    const order = [...seen].sort(([a, sa], [b, sb]) => sb - sa || (a < b ? -1 : a > b ? 1 : 0));
    const top = order.slice(0, Math.max(0, maxRows));
    const rows: SearchRow[] = [];
    if (top.length > 0) {
      const pipe = redis.pipeline();
      for (const [id] of top) pipe.hmget(this.#fileKey(id), 'name', 'size');
      const results = pipelineResults(await pipe.exec());
      this.#open();
      top.forEach(([id, lastSeen], i) => {
        const [name, size] = results[i] as (string | null)[];
        if (name !== null) rows.push({ id, name, size: Number(size), lastSeen });
      });
    }
    return { total: order.length, rows };
  }

  async countFiles(): Promise<number> {
    return this.#open().zcard(this.#keys.ids);
  }

  /** Walks `ids` (ZSCAN, a batch a page), reads lastSeen of the page, and runs the purge script on its stale ids. */
  async purgeUnseen(before: number, opts: PurgeOptions = {}): Promise<number> {
    const batch = opts.batch ?? INDEX_PURGE_BATCH;
    let purged = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.#open().zscan(this.#keys.ids, cursor, 'COUNT', batch);
      cursor = next;
      const page = flat.filter((_, i) => i % 2 === 0);
      if (page.length === 0) continue;
      const pipe = this.#open().pipeline();
      for (const id of page) pipe.hget(this.#fileKey(id), 'lastSeen');
      const seen = pipelineResults(await pipe.exec());
      // COUNT is a hint (a small set comes whole): the stale ids go on in batches.
      for (const ids of chunks(page.filter((_, i) => seen[i] !== null && Number(seen[i]) < before), batch)) {
        const keep = opts.keep ? await opts.keep(ids) : new Set<string>();
        const kept = ids.filter((id) => keep.has(id));
        const gone = ids.filter((id) => !keep.has(id));
        if (kept.length > 0) await this.touch(kept, opts.now ?? before);
        if (gone.length > 0) {
          const keys = [this.#keys.ids, this.#keys.public, ...gone.map((id) => this.#fileKey(id))];
          purged += Number(await this.#run(PURGE, keys, [before, ...gone]));
        }
      }
    } while (cursor !== '0');
    return purged;
  }

  async addStatsPoint(point: StatsPoint): Promise<void> {
    const seq = await this.#open().incr(this.#keys.statsSeq);
    const member = `${String(seq).padStart(SEQ_DIGITS, '0')} ${encodePoint(point)}`;
    await this.#open().zadd(this.#keys.stats, scoreBound(point.time), member);
  }

  async statsHistory(since: number, maxPoints: number): Promise<StatsPoint[]> {
    const redis = this.#open();
    if (maxPoints <= 0) return [];
    // Newest first (by time, then by sequence), capped; reversed to oldest first.
    const members = await redis.zrevrangebyscore(this.#keys.stats, '+inf', scoreBound(since), 'LIMIT', 0, maxPoints);
    return members.reverse().map(decodePoint);
  }

  async pruneStats(before: number): Promise<number> {
    return this.#open().zremrangebyscore(this.#keys.stats, '-inf', scoreBound(before, true));
  }

  /** Idempotent. The client belongs to the caller (server/redis-shared.ts) and stays open. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve();
    return this.#closing;
  }
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
