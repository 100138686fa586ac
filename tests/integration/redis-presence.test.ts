import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presenceContract } from '../../src/lib/server/tracker/presence.contract.ts';
import { RedisPresence } from '../../src/lib/server/tracker/redis-presence.ts';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function client(): Redis {
  const c = new Redis(redis.url, { lazyConnect: false });
  clients.push(c);
  return c;
}

presenceContract('redis', async () => new RedisPresence(client(), { prefix: uniquePrefix(), maxContactsPerPeer: 3 }));

describe('RedisPresence across clients', () => {
  it('two processes (two clients) see one network, and racing joins keep the counts right', async () => {
    const prefix = uniquePrefix();
    const one = new RedisPresence(client(), { prefix, maxContactsPerPeer: 10 });
    const two = new RedisPresence(client(), { prefix, maxContactsPerPeer: 10 });
    const F = 'a'.repeat(64);
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const p = i % 2 ? one : two;
        await p.addPeer(`p${i}`, i % 3 ? 'browser' : 'node', `s${i}`, i);
        await p.join(`p${i}`, `s${i}`, [{ id: F, chunks: 8, have: i % 4 === 0 ? 8 : 3, size: 800 }]);
      })
    );
    expect(await one.counts()).toEqual({ peers: 40, browser: 26, node: 14, swarms: 1, seeders: 10, leechers: 30, announcedBytes: 800 });
    expect(await two.mayContact('p1', 'p2')).toBe(true);
    expect((await two.members(F)).length).toBe(40);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? two : one).removePeer(`p${i}`, `s${i}`)));
    expect(await one.counts()).toEqual({ peers: 0, browser: 0, node: 0, swarms: 0, seeders: 0, leechers: 0, announcedBytes: 0 });
    // Nothing is left behind under the prefix but the (zeroed) totals.
    const c = client();
    expect((await c.keys(`${prefix}*`)).filter((k) => !k.endsWith('totals'))).toEqual([]);
  });
});
