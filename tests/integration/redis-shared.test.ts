/**
 * server/redis-shared.ts, what the tracker host opens with REDIS_URL: start-up against a Redis that
 * is not there or never answers, and the one-history-for-the-network rule, on a real redis-server.
 */
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/log.ts';
import type { StatsPoint } from '../../src/lib/tracker/api.ts';
import { openRedisShared, RedisUnreachableError, type RedisShared } from '../../server/redis-shared.ts';
import { freeTcpPort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';

let server: TestRedis;
const opened: RedisShared[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await server?.stop();
});

function open(url: string, prefix = uniquePrefix(), connectTimeoutMs = 1_000): RedisShared {
  const shared = openRedisShared({ url, prefix, connectTimeoutMs }, silentLogger);
  opened.push(shared);
  return shared;
}

const point = (searches: number): StatsPoint => ({
  time: 1_000,
  browserPeers: 1,
  nodePeers: 0,
  files: 2,
  swarms: 1,
  bytesAnnounced: 10,
  announces: 0,
  searches,
  signals: 0,
  transfers: 0,
  bytesUp: 0,
  bytesDown: 0
});

describe('redis-shared', () => {
  it('gives up at start-up on a port where nothing listens, saying where and why', async () => {
    const port = await freeTcpPort();
    const err = await open(`redis://127.0.0.1:${port}`).ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`Cannot reach Redis at redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it('gives up on a server that accepts but never answers, without showing the password', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const err = await open(`redis://user:secret@127.0.0.1:${port}`).ready().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnreachableError);
      expect((err as Error).message).toMatch(/within 1000 ms/);
      expect((err as Error).message).toContain('user:***@');
      expect((err as Error).message).not.toContain('secret');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('writes one history point per interval for the network, with every process counts summed', async () => {
    const prefix = uniquePrefix();
    const [one, two] = [open(server.url, prefix), open(server.url, prefix)];
    await Promise.all([one.ready(), two.ready()]);
    const interval = 60_000; // the lock outlives this test: only the first merge of the interval writes
    const first = await one.mergeHistory(interval)(point(3));
    const second = await two.mergeHistory(interval)(point(2));
    expect(first).toMatchObject({ searches: 3, browserPeers: 1 });
    expect(second).toBeUndefined();
    // The second process's counts wait for the next interval's point.
    await one.mergeHistory(interval)(point(0)); // still the same interval: nothing written
    const probe = new Redis(server.url);
    try {
      await probe.del(`${prefix}history:lock`); // the next interval begins
    } finally {
      probe.disconnect();
    }
    expect(await two.mergeHistory(interval)(point(1))).toMatchObject({ searches: 3 });
  });
});
