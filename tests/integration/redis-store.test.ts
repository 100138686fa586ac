/**
 * RedisIndexStore against a real redis-server (one for this file; each store a fresh prefix):
 * the IndexStore contract, then what only a shared store has to get right.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkCount } from '../../src/lib/core/chunks.ts';
import { createManifest, type Manifest } from '../../src/lib/core/manifest.ts';
import { indexStoreContract } from '../../src/lib/server/tracker/index-store.contract.ts';
import { RedisIndexStore } from '../../src/lib/server/tracker/redis-store.ts';
import { parseSearchQuery } from '../../src/lib/tracker/search-query.ts';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';

let server: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

/** A store on a client of its own (the tracker shares one client; the store never closes it). */
function open(prefix = uniquePrefix(), url = server.url): RedisIndexStore {
  const client = new Redis(url);
  clients.push(client);
  return new RedisIndexStore(client, { prefix });
}

indexStoreContract(
  'redis',
  async () => open(),
  async (old) => open((old as RedisIndexStore).prefix)
);

function manifest(name: string, size = 40_000): Manifest {
  const chunkSize = 16 * 1024;
  const chunkHashes = Array.from({ length: chunkCount(size, chunkSize) }, () => randomBytes(32).toString('hex'));
  return createManifest({ name, size, mimeType: 'text/plain', chunkSize, chunkHashes });
}

function someId(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

async function allKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

describe('RedisIndexStore', () => {
  it('two processes announcing the same new files at once leave one whole record each', async () => {
    const prefix = uniquePrefix();
    const a = open(prefix);
    const b = open(prefix);
    try {
      const ids = Array.from({ length: 40 }, someId);
      // Each id: different names (and visibilities) from the two stores, sent concurrently.
      await Promise.all(
        ids.flatMap((id, i) => [
          a.recordAnnounces([{ id, manifest: manifest(`from-a ${i}.txt`), visibility: 'public' }], 1000 + i),
          b.recordAnnounces([{ id, manifest: manifest(`from-b ${i}.txt`, 70_000), visibility: 'unlisted' }], 1000 + i)
        ])
      );
      expect(await a.countFiles()).toBe(ids.length);
      const files = await b.getFiles(ids);
      for (const id of ids) {
        const file = files.get(id)!;
        const m = (await a.getManifest(id))!;
        expect(file.announceCount).toBe(2);
        // One consistent record: the facts, the manifest and the search index all come from one announce.
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

  it('puts every key under its prefix', async () => {
    // A database of its own, so that SCAN sees only this store's keys.
    const url = `${server.url}/7`;
    const prefix = uniquePrefix();
    const store = open(prefix, url);
    const probe = new Redis(url);
    try {
      const [p, u] = [someId(), someId()];
      await store.recordAnnounces(
        [
          { id: p, manifest: manifest('public.txt'), visibility: 'public' },
          { id: u, manifest: manifest('unlisted.txt'), visibility: 'unlisted' }
        ],
        1000
      );
      await store.recordAnnounces([{ id: p, visibility: 'public' }], 2000);
      await store.touch([u, someId()], 3000);
      await store.search(parseSearchQuery('txt'), 10);
      for (const t of [1000, 1000, 2000]) {
        await store.addStatsPoint({ time: t, browserPeers: 1, nodePeers: 1, files: 2, swarms: 1, bytesAnnounced: 1, announces: 1, searches: 0, signals: 0, transfers: 0, bytesUp: 0, bytesDown: 0 });
      }
      await store.pruneStats(1500);
      const keys = await allKeys(probe);
      expect(keys.length).toBeGreaterThanOrEqual(5);
      expect(keys.filter((k) => !k.startsWith(prefix))).toEqual([]);
      // The unknown id that was touched left nothing behind.
      expect(keys.filter((k) => k.includes(':file:')).sort()).toEqual([`${prefix}file:${p}`, `${prefix}file:${u}`].sort());
    } finally {
      await store.close();
      probe.disconnect();
    }
  });

  it('round-trips sizes and counters up to 2^53 exactly', async () => {
    const store = open();
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

  it('leaves a client it does not own open, and rejects every call once closed', async () => {
    const client = new Redis(server.url);
    try {
      const store = new RedisIndexStore(client, { prefix: uniquePrefix() });
      expect(store.kind).toBe('redis');
      await store.close();
      await store.close();
      expect(await client.ping()).toBe('PONG');
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
    } finally {
      client.disconnect();
    }
  });

  it('reloads its scripts after the server forgot them', async () => {
    const client = new Redis(server.url);
    const store = new RedisIndexStore(client, { prefix: uniquePrefix() });
    try {
      const id = someId();
      await store.recordAnnounces([{ id, manifest: manifest('a.txt'), visibility: 'public' }], 1);
      await client.script('FLUSH');
      await store.recordAnnounces([{ id, visibility: 'public' }], 2);
      expect(await store.getFile(id)).toMatchObject({ lastSeen: 2, announceCount: 2 });
    } finally {
      await store.close();
      client.disconnect();
    }
  });
});
