/**
 * DATABASE_URL: start-up against a PostgreSQL that is not there or never answers (the store alone,
 * then a real tracker process), and two real tracker processes (`tsx server/start.ts`) with
 * REDIS_URL + DATABASE_URL acting as one network: the index in PostgreSQL,
 * presence and the adapter in Redis; and one statistics history for both, kept in PostgreSQL.
 */
import { createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/log.ts';
import { PgIndexStore, PgStoreError } from '../../src/lib/server/tracker/pg-store.ts';
import type { StatsPoint } from '../../src/lib/tracker/api.ts';
import { startShoalServer, type ShoalServer } from '../../server/shoal-server.ts';
import { freeTcpPort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startTrackerProcess, type TrackerProcess } from '../helpers/tracker-process.ts';
import { connectClient, makeManifest, peerIdOf, randomToken, request, type ClientSocket } from '../helpers/tracker.ts';

let redis: TestRedis;
let postgres: TestPostgres;
const sockets: ClientSocket[] = [];
const processes: TrackerProcess[] = [];

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
}, 60_000);
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  for (const p of processes.splice(0)) await p.stop();
});
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

describe('PgIndexStore start-up', () => {
  it('gives up on a port where nothing listens, saying where and why', async () => {
    const port = await freeTcpPort();
    const store = new PgIndexStore({ url: `postgres://shoal@127.0.0.1:${port}/shoal`, connectTimeoutMs: 1_000 });
    try {
      const err = await store.ready().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PgStoreError);
      expect(err).toMatchObject({ code: 'PG_UNREACHABLE' });
      expect((err as Error).message).toMatch(new RegExp(`^Cannot reach PostgreSQL at postgres://shoal@127\\.0\\.0\\.1:${port}/shoal \\(DATABASE_URL\\) within 1000 ms: .*ECONNREFUSED`));
    } finally {
      await store.close();
    }
  });

  it('gives up on a server that accepts but never answers, without showing the password', async () => {
    const silent = await silentServer();
    const store = new PgIndexStore({ url: `postgres://user:secret@127.0.0.1:${silent.port}/shoal`, connectTimeoutMs: 1_000 });
    try {
      const err = await store.ready().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PG_UNREACHABLE' });
      expect((err as Error).message).toMatch(/within 1000 ms/);
      expect((err as Error).message).toContain('user:***@');
      expect((err as Error).message).not.toContain('secret');
    } finally {
      await store.close();
      await silent.close();
    }
  });
});

describe('tracker: several processes on Redis + PostgreSQL', () => {
  it('refuses to start when PostgreSQL cannot be reached, saying where and never the password', async () => {
    const port = await freeTcpPort();
    const err = await startTrackerProcess({
      env: { DATABASE_URL: `postgres://user:secret@127.0.0.1:${port}/shoal`, SHOAL_DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      timeoutMs: 20_000
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Cannot reach PostgreSQL at postgres:\/\/user:\*\*\*@127\.0\.0\.1/);
    expect((err as Error).message).not.toContain('secret');
  });

  it('a peer on process 2 finds by search a file announced on process 1, through the index in PostgreSQL', async () => {
    const database = await postgres.createDatabase();
    const prefix = uniquePrefix();
    const env = { REDIS_URL: redis.url, SHOAL_REDIS_PREFIX: prefix, DATABASE_URL: database };
    const [one, two] = await Promise.all([startTrackerProcess({ env }), startTrackerProcess({ env })]);
    processes.push(one, two);
    const connect = async (url: string, kind: 'browser' | 'node') => {
      const token = randomToken();
      const socket = await connectClient(url, { token, kind });
      sockets.push(socket);
      return { socket, id: peerIdOf(token) };
    };
    const a = await connect(one.url, 'node');
    const b = await connect(two.url, 'browser');
    const { id, manifest } = await makeManifest('Shared Index Report.pdf');
    expect(await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] })).toEqual({ ok: true, accepted: [id], rejected: [] });

    const found = await request(b.socket, 'search', { q: 'index report', limit: 10, offset: 0 });
    expect(found).toMatchObject({ ok: true, total: 1, results: [{ id, name: 'Shared Index Report.pdf', seeders: 1, leechers: 0 }] });
    expect(await request(b.socket, 'manifest', { id })).toEqual({ ok: true, manifest });
    for (const p of [one, two]) {
      const health = await (await fetch(`${p.url}/api/health`)).json();
      expect(health).toMatchObject({ ok: true, store: 'postgres', storeState: 'ok', presence: 'redis', adapter: 'redis', peers: 2, files: 1 });
    }
    // The row is in the database, not in Redis.
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      expect((await client.query('SELECT name, visibility FROM files WHERE id = $1', [id])).rows).toEqual([{ name: 'Shared Index Report.pdf', visibility: 'public' }]);
    } finally {
      await client.end();
    }
  });
});

describe('tracker: one statistics history for several processes, in PostgreSQL', () => {
  let servers: ShoalServer[] = [];
  afterEach(async () => {
    for (const server of servers) await server.close();
    servers = [];
  });

  it('records one point per interval with the counts of both processes summed, in the database', async () => {
    const database = await postgres.createDatabase();
    const prefix = uniquePrefix();
    const start = () =>
      startShoalServer({
        dataDir: '/nonexistent-not-used',
        redis: { url: redis.url, prefix },
        database: { url: database },
        statsIntervalMs: 300,
        dashboardIntervalMs: 100,
        log: silentLogger
      });
    servers = [await start(), await start()];
    const [one, two] = servers;
    const a = await connectClient(one.url);
    const b = await connectClient(two.url);
    sockets.push(a, b);
    for (let i = 0; i < 3; i++) await request(a, 'search', { q: 'x', limit: 1, offset: 0 });
    for (let i = 0; i < 2; i++) await request(b, 'search', { q: 'y', limit: 1, offset: 0 });
    const history = async (): Promise<StatsPoint[]> => (await (await fetch(`${one.url}/api/stats/history?minutes=5`)).json()).points;
    const searches = (points: StatsPoint[]) => points.reduce((n, p) => n + p.searches, 0);
    // All five searches in the history, then a later point: the sum must stay five (each counted once).
    await expect.poll(async () => searches(await history()), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const written = (await history()).length;
    await expect.poll(async () => (await history()).length, { timeout: 10_000 }).toBeGreaterThan(written);
    const points = await history();
    expect(searches(points)).toBe(5);
    // The points are rows of the database's stats_history, as many as the API shows.
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string; s: string }>('SELECT count(*) AS n, sum(searches) AS s FROM stats_history WHERE time <= $1', [points.at(-1)!.time]);
      expect({ n: Number(rows[0].n), s: Number(rows[0].s) }).toEqual({ n: points.length, s: 5 });
    } finally {
      await client.end();
    }
  });
});
