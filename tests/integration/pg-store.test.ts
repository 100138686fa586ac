/**
 * PgIndexStore against a real PostgreSQL cluster (one for this file, made by initdb in a temporary
 * directory; each store a fresh database): the IndexStore contract, then what only a shared,
 * migrated store has to get right.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkCount } from '../../src/lib/core/chunks.ts';
import { createManifest, type Manifest } from '../../src/lib/core/manifest.ts';
import { indexStoreContract } from '../../src/lib/server/tracker/index-store.contract.ts';
import { PG_SCHEMA_VERSION, PgIndexStore } from '../../src/lib/server/tracker/pg-store.ts';
import { parseSearchQuery } from '../../src/lib/tracker/search-query.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const urls = new WeakMap<PgIndexStore, string>();

async function open(url?: string): Promise<PgIndexStore> {
  const u = url ?? (await server.createDatabase());
  const store = new PgIndexStore({ url: u });
  urls.set(store, u);
  await store.ready();
  return store;
}

indexStoreContract(
  'postgres',
  () => open(),
  (old) => open(urls.get(old as PgIndexStore))
);

function manifest(name: string, size = 40_000): Manifest {
  const chunkSize = 16 * 1024;
  const chunkHashes = Array.from({ length: chunkCount(size, chunkSize) }, () => randomBytes(32).toString('hex'));
  return createManifest({ name, size, mimeType: 'text/plain', chunkSize, chunkHashes });
}

function someId(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('PgIndexStore', () => {
  it('two processes announcing the same new files at once leave one whole record each', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    try {
      const ids = Array.from({ length: 40 }, someId);
      await Promise.all(
        ids.flatMap((id, i) => [
          a.recordAnnounces([{ id, manifest: manifest(`from-a ${i}.txt`), visibility: 'public' }], 1000 + i),
          b.recordAnnounces([{ id, manifest: manifest(`from-b ${i}.txt`, 70_000), visibility: 'unlisted' }], 1000 + i)
        ])
      );
      // And whole batches over the same ids, in opposite orders, at once: no deadlock, every announce counted.
      await Promise.all([
        a.recordAnnounces(ids.map((id) => ({ id, visibility: 'public' as const })), 5000),
        b.recordAnnounces([...ids].reverse().map((id) => ({ id, visibility: 'public' as const })), 5000),
        a.touch([...ids].reverse(), 5000),
        b.touch(ids, 5000)
      ]);
      expect(await a.countFiles()).toBe(ids.length);
      const files = await b.getFiles(ids);
      for (const id of ids) {
        const file = files.get(id)!;
        const m = (await a.getManifest(id))!;
        expect(file.announceCount).toBe(4);
        expect(file.lastSeen).toBe(5000);
        expect(file.name).toBe(m.name);
        expect(file.size).toBe(m.size);
        expect(file.chunks).toBe(m.chunkHashes.length);
        expect(file.visibility).toBe(m.name.startsWith('from-a') ? 'public' : 'unlisted');
        const found = await a.search(parseSearchQuery(`name="${m.name}"`), 10);
        expect(found.total).toBe(file.visibility === 'public' ? 1 : 0);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts every record of one batch, the same id more than once included', async () => {
    const store = await open();
    try {
      const [known, fresh, unknown] = [someId(), someId(), someId()];
      await store.recordAnnounces([{ id: known, manifest: manifest('known.txt'), visibility: 'public' }], 1000);
      await store.recordAnnounces(
        [
          { id: known, visibility: 'public' },
          { id: unknown, visibility: 'public' },
          { id: fresh, manifest: manifest('fresh.txt'), visibility: 'unlisted' },
          { id: known, manifest: manifest('renamed.txt'), visibility: 'unlisted' },
          { id: fresh, manifest: manifest('fresh again.txt'), visibility: 'public' },
          { id: fresh, visibility: 'public' }
        ],
        2000
      );
      expect(await store.getFile(known)).toMatchObject({ name: 'known.txt', visibility: 'public', announceCount: 3, lastSeen: 2000 });
      expect(await store.getFile(fresh)).toMatchObject({ name: 'fresh.txt', visibility: 'unlisted', announceCount: 3, firstSeen: 2000 });
      expect(await store.getFile(unknown)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('searches through the trigram index, and matches short words and non-ASCII names literally', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    try {
      const files = ['Été à Paris.jpg', 'ÉTÉ notes.txt', 'a_b.txt', 'axb.txt', 'ks.txt'].map((name) => ({ id: someId(), manifest: manifest(name) }));
      await store.recordAnnounces(files.map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      const ids = async (q: string) => (await store.search(parseSearchQuery(q), 10)).rows.map((r) => r.id).sort();
      expect(await ids('été')).toEqual([files[0].id, files[1].id].sort());
      expect(await ids('à')).toEqual([files[0].id]);
      expect(await ids('a_b')).toEqual([files[2].id]);
      // A backslash is a literal character too, not LIKE's escape (names never hold one: manifests turn it into '_').
      expect(await ids('ks.')).toEqual([files[4].id]);
      expect(await ids('k\\s.')).toEqual([]);
      // Names are indexed by trigrams (GIN), so a word search need not read every name.
      const indexes = (await sql<{ indexdef: string }>(url, `SELECT indexdef FROM pg_indexes WHERE tablename = 'files'`)).map((r) => r.indexdef);
      expect(indexes).toContainEqual(expect.stringContaining('USING gin (name_lc gin_trgm_ops)'));
    } finally {
      await store.close();
    }
  });

  it('round-trips sizes and counters up to 2^53 exactly', async () => {
    const store = await open();
    try {
      const big: Manifest = { ...manifest('big.bin'), size: 2 ** 53 - 1 };
      const id = someId();
      await store.recordAnnounces([{ id, manifest: big, visibility: 'public' }], 1_700_000_000_123);
      expect(await store.getFile(id)).toMatchObject({ size: 2 ** 53 - 1, firstSeen: 1_700_000_000_123 });
      expect((await store.search(parseSearchQuery('big'), 1)).rows[0].size).toBe(2 ** 53 - 1);
      const point = { time: 1_700_000_000_123, browserPeers: 0, nodePeers: 0, files: 1, swarms: 0, bytesAnnounced: 2 ** 53, announces: 0, searches: 0, signals: 0, transfers: 0, bytesUp: 2 ** 53 - 1, bytesDown: 0 };
      await store.addStatsPoint(point);
      expect(await store.statsHistory(0, 10)).toEqual([point]);
    } finally {
      await store.close();
    }
  });

  it('migrates once when several processes start together, and refuses a newer schema', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([open(url), open(url), open(url)]);
    for (const s of stores) await s.close();
    expect(await sql<{ version: number }>(url, 'SELECT version FROM schema_version ORDER BY version')).toEqual(
      Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 }))
    );
    await sql(url, 'INSERT INTO schema_version (version) VALUES ($1)', [PG_SCHEMA_VERSION + 1]);
    const newer = new PgIndexStore({ url });
    try {
      const err = await newer.ready().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PG_SCHEMA' });
      expect((err as Error).message).toContain(`schema version ${PG_SCHEMA_VERSION + 1}`);
      await expect(newer.countFiles()).rejects.toMatchObject({ code: 'PG_SCHEMA' });
      // A failed start is tried again: once the database is one it knows, the store works.
      await sql(url, 'DELETE FROM schema_version WHERE version = $1', [PG_SCHEMA_VERSION + 1]);
      expect(await newer.countFiles()).toBe(0);
    } finally {
      await newer.close();
    }
  });

  it('rejects every call once closed', async () => {
    const store = await open();
    expect(store.kind).toBe('postgres');
    await store.close();
    await store.close();
    const calls: Promise<unknown>[] = [
      store.getFile(someId()),
      store.getFiles([someId()]),
      store.getManifest(someId()),
      store.recordAnnounces([{ id: someId(), manifest: manifest('x.txt'), visibility: 'public' }], 1),
      store.touch([someId()], 1),
      store.search(parseSearchQuery(''), 10),
      store.countFiles(),
      store.addStatsPoint({ time: 1, browserPeers: 0, nodePeers: 0, files: 0, swarms: 0, bytesAnnounced: 0, announces: 0, searches: 0, signals: 0, transfers: 0, bytesUp: 0, bytesDown: 0 }),
      store.statsHistory(0, 10),
      store.pruneStats(10),
      store.purgeUnseen(10)
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
