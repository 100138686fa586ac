/**
 * Search in a large file index: the same N files (quick 200,000, full 1,000,000), filled in bulk
 * through each store's recordAnnounces (batches of BATCH, not through Socket.IO announces), then
 * the same searches timed one after another, as the tracker asks them (MAX_SEARCH_CANDIDATES
 * rows): PostgreSQL (pg_trgm GIN index, a cluster of its own: tests/helpers/postgres.ts) beside
 * SQLite (FTS5 trigram index) in the same run. A third row, when redis-server is installed, times
 * RedisIndexStore (which scans every public name) on at most REDIS_FILES files and few searches.
 *
 * Searches, in turn: a common word (1 file in 12 has it: thousands of matches, 5,000 rows
 * returned), a rare tag (about one match), the two together, and an id prefix. No announce load
 * runs beside them: this row measures the index alone.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { WORDS } from './tracker/files.ts';
import type { Bench } from './lib/context.ts';
import { redisMissing, startBenchRedis } from './lib/redis-server.ts';
import { notRun, type BenchRow } from './lib/report.ts';
import { nowMs, percentile } from './lib/stats.ts';
import { createManifest } from '../src/lib/core/manifest.ts';
import { PgIndexStore } from '../src/lib/server/tracker/pg-store.ts';
import { RedisIndexStore } from '../src/lib/server/tracker/redis-store.ts';
import { SqliteIndexStore } from '../src/lib/server/tracker/sqlite-store.ts';
import { MAX_SEARCH_CANDIDATES } from '../src/lib/tracker/constants.ts';
import type { AnnounceRecord, IndexStore } from '../src/lib/tracker/index-store.ts';
import { parseSearchQuery } from '../src/lib/tracker/search-query.ts';
import { startPostgres } from '../tests/helpers/postgres.ts';

const BATCH = 2_000;
/** RedisIndexStore reads every public name per search: more files would only make the row slow to take. */
const REDIS_FILES = 200_000;

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
/** Six hex characters of file k's own: searching it finds file k and, rarely, another. */
const tag = (k: number) => hex(`tag-${k}`).slice(0, 6);
const idOf = (k: number) => hex(`bench-file-${k}`);

function record(k: number): AnnounceRecord {
  const manifest = createManifest({
    name: `${WORDS[k % WORDS.length]} ${tag(k)} part ${k}.bin`,
    size: 16 * 1024,
    mimeType: 'application/octet-stream',
    chunkSize: 16 * 1024,
    chunkHashes: [hex(`chunk-${k}`)]
  });
  return { id: idOf(k), manifest, visibility: 'public' };
}

async function fill(store: IndexStore, n: number, log: (m: string) => void): Promise<number> {
  const t0 = nowMs();
  for (let start = 0; start < n; start += BATCH) {
    const records = Array.from({ length: Math.min(BATCH, n - start) }, (_, i) => record(start + i));
    // Each file a distinct last-seen time, so the order of results is the store's work too.
    await store.recordAnnounces(records, 1_700_000_000_000 + start);
    if ((start / BATCH) % 100 === 99) log(`${store.kind}: ${start + BATCH} files`);
  }
  return nowMs() - t0;
}

/** The searches, in turn over the four kinds; file numbers spread over the index. */
function queries(n: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const k = Math.floor(((i * 7919) % 1000) / 1000 * n);
    switch (i % 4) {
      case 0:
        return WORDS[i % WORDS.length];
      case 1:
        return tag(k);
      case 2:
        return `${WORDS[k % WORDS.length]} ${tag(k)}`;
      default:
        return idOf(k).slice(0, 10);
    }
  });
}

interface Timed {
  p50: number;
  p99: number;
  max: number;
  byKind: Record<string, number>;
  fillMs: number;
  searches: number;
}

async function time(store: IndexStore, n: number, count: number, fillMs: number): Promise<Timed> {
  const qs = queries(n, count);
  // One untimed round: caches warm, as on a tracker that has been serving.
  for (const q of qs.slice(0, 4)) await store.search(parseSearchQuery(q), MAX_SEARCH_CANDIDATES);
  const ms: number[] = [];
  const kinds: number[][] = [[], [], [], []];
  for (const [i, q] of qs.entries()) {
    const t0 = nowMs();
    const { total } = await store.search(parseSearchQuery(q), MAX_SEARCH_CANDIDATES);
    const t = nowMs() - t0;
    if (total === 0) throw new Error(`${store.kind}: no match for ${JSON.stringify(q)}`);
    ms.push(t);
    kinds[i % 4].push(t);
  }
  const names = ['common word', 'rare tag', 'two words', 'id prefix'];
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
    byKind: Object.fromEntries(names.map((name, i) => [`${name} p99`, Math.round(percentile(kinds[i], 99) * 10) / 10])),
    fillMs: Math.round(fillMs),
    searches: ms.length
  };
}

const bench: Bench = async ({ quick, tmp, log }) => {
  const n = quick ? 200_000 : 1_000_000;
  const count = quick ? 100 : 200;
  const label = `SQLite FTS5 trigram, same ${n.toLocaleString('en')} files, same run`;
  const rowName = `index search p99, ${n.toLocaleString('en')} files, PostgreSQL pg_trgm`;

  const sqlite = new SqliteIndexStore(join(tmp, 'index.sqlite'));
  let sq: Timed;
  try {
    const fillMs = await fill(sqlite, n, log);
    log(`sqlite: filled in ${(fillMs / 1000).toFixed(1)} s`);
    sq = await time(sqlite, n, count, fillMs);
  } finally {
    await sqlite.close();
  }
  log(`sqlite: p50 ${sq.p50.toFixed(1)} ms, p99 ${sq.p99.toFixed(1)} ms`);

  const rows: BenchRow[] = [];
  let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
  try {
    postgres = await startPostgres();
    const store = new PgIndexStore({ url: await postgres.createDatabase() });
    try {
      await store.ready();
      const fillMs = await fill(store, n, log);
      log(`postgres: filled in ${(fillMs / 1000).toFixed(1)} s`);
      const pgT = await time(store, n, count, fillMs);
      log(`postgres: p50 ${pgT.p50.toFixed(1)} ms, p99 ${pgT.p99.toFixed(1)} ms`);
      rows.push({
        bench: 'index-search',
        name: rowName,
        shoal: { value: pgT.p99, unit: 'ms' },
        reference: { value: sq.p99, unit: 'ms' },
        referenceLabel: label,
        ratio: sq.p99 > 0 ? pgT.p99 / sq.p99 : null,
        ratioMeaning: 'PostgreSQL ÷ SQLite p99 (target: each ≤ 50 ms)',
        note: `${pgT.searches} searches one at a time (common word, rare tag, both, id prefix), ${MAX_SEARCH_CANDIDATES} rows asked; p50 ${pgT.p50.toFixed(1)} vs ${sq.p50.toFixed(1)} ms; no announce load beside`,
        details: { files: n, postgres: pgT, sqlite: sq }
      });
    } finally {
      await store.close();
    }
  } catch (err) {
    rows.push(notRun('index-search', rowName, label, (err as Error).message.split('\n')[0]));
  } finally {
    await postgres?.stop();
  }

  const redisName = `index search p99, ${Math.min(n, REDIS_FILES).toLocaleString('en')} files, RedisIndexStore (HSCAN)`;
  const missing = redisMissing();
  if (missing) {
    rows.push(notRun('index-search', redisName, label, missing));
    return rows;
  }
  const server = await startBenchRedis(tmp);
  const client = new Redis(server.url);
  try {
    const store = new RedisIndexStore(client, { prefix: 'bench:' });
    const rn = Math.min(n, REDIS_FILES);
    const fillMs = await fill(store, rn, log);
    const r = await time(store, rn, 12, fillMs);
    log(`redis: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
    rows.push({
      bench: 'index-search',
      name: redisName,
      shoal: { value: r.p99, unit: 'ms' },
      reference: { value: sq.p99, unit: 'ms' },
      referenceLabel: `SQLite FTS5 trigram, ${n.toLocaleString('en')} files, same run`,
      ratio: sq.p99 > 0 ? r.p99 / sq.p99 : null,
      ratioMeaning: 'Redis ÷ SQLite p99',
      note: `${r.searches} searches; every search reads every public name`,
      details: { files: rn, redis: r }
    });
    await store.close();
  } finally {
    client.disconnect();
    await server.stop();
  }
  return rows;
};

export default bench;
