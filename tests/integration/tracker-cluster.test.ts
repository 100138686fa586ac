/**
 * Several tracker processes, one network: two real tracker processes (`tsx server/start.ts`)
 * sharing a real redis-server (REDIS_URL), clients on different processes finding, signalling
 * and replacing each other; then one process killed with SIGKILL. The network tests run twice:
 * on Redis alone, and on Redis + PostgreSQL (DATABASE_URL: the index in a cluster of the test's own).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatsPoint } from '../../src/lib/tracker/api.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { TrackerClient } from '../../src/lib/peer/tracker-client.ts';
import { startShoalServer, type ShoalServer } from '../../server/shoal-server.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';
import { startTrackerProcess, type TrackerProcess } from '../helpers/tracker-process.ts';
import { connectClient, makeManifest, nextEvent, peerIdOf, randomToken, request, type ClientSocket } from '../helpers/tracker.ts';

let redis: TestRedis;
let postgres: TestPostgres;
/** Set by the Redis + PostgreSQL run of the network tests: every process of a cluster gets a fresh database. */
let withPostgres = false;
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

async function cluster(n: number, env: Record<string, string> = {}): Promise<TrackerProcess[]> {
  const prefix = uniquePrefix();
  const database: Record<string, string> = withPostgres ? { DATABASE_URL: await postgres.createDatabase() } : {};
  const started = await Promise.all(
    Array.from({ length: n }, () => startTrackerProcess({ env: { REDIS_URL: redis.url, SHOAL_REDIS_PREFIX: prefix, ...database, ...env } }))
  );
  processes.push(...started);
  return started;
}

async function peer(url: string, kind: 'browser' | 'node' = 'browser', token = randomToken()) {
  const socket = await connectClient(url, { token, kind });
  sockets.push(socket);
  return { socket, id: peerIdOf(token), token };
}

/** Heartbeats every 300 ms, as real clients do, so a short expiry takes only the silent ones. */
function keepAlive(socket: ClientSocket): void {
  const timer = setInterval(() => {
    if (socket.connected) socket.emit('heartbeat', {}, () => undefined);
  }, 300);
  socket.on('disconnect', () => clearInterval(timer));
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe.each([
  { setUp: 'one Redis', postgres: false },
  { setUp: 'Redis + PostgreSQL', postgres: true }
])('tracker: several processes on $setUp', ({ postgres: pg }) => {
  beforeAll(() => {
    withPostgres = pg;
  });
  afterAll(() => {
    withPostgres = false;
  });

  it('a peer on process 2 searches, finds, and signals a peer on process 1, and back', async () => {
    const [one, two] = await cluster(2);
    const { id, manifest } = await makeManifest('Cluster Report.pdf');
    const a = await peer(one.url, 'node');
    const b = await peer(two.url);
    expect(await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] })).toEqual({ ok: true, accepted: [id], rejected: [] });

    const found = await request(b.socket, 'search', { q: 'cluster report', limit: 10, offset: 0 });
    expect(found).toMatchObject({ ok: true, total: 1, results: [{ id, name: 'Cluster Report.pdf', seeders: 1, leechers: 0 }] });
    expect(await request(b.socket, 'whohas', { id })).toEqual({ ok: true, peers: [{ peerId: a.id, kind: 'node', have: 3, seeder: true }] });
    expect(await request(b.socket, 'manifest', { id })).toEqual({ ok: true, manifest });

    // Signals cross processes through the Redis adapter, stamped by the sender's process.
    const atA = nextEvent(a.socket, 'signal');
    expect(await request(b.socket, 'signal', { to: a.id, data: { type: 'offer', sdp: 'v=0' } })).toEqual({ ok: true });
    expect(await atA).toEqual({ from: b.id, data: { type: 'offer', sdp: 'v=0' } });
    const atB = nextEvent(b.socket, 'signal');
    expect(await request(a.socket, 'signal', { to: b.id, data: { type: 'answer', sdp: 'v=0' } })).toEqual({ ok: true });
    expect(await atB).toEqual({ from: a.id, data: { type: 'answer', sdp: 'v=0' } });

    // A stranger on process 1 may not signal b on process 2.
    const c = await peer(one.url);
    expect(await request(c.socket, 'signal', { to: b.id, data: {} })).toMatchObject({ ok: false, code: 'FORBIDDEN' });

    // Both processes answer REST for the whole network.
    for (const p of [one, two]) {
      const health = await getJson(`${p.url}/api/health`);
      expect(health).toEqual({
        status: 200,
        body: { ok: true, store: pg ? 'postgres' : 'redis', storeState: 'ok', presence: 'redis', presenceState: 'ok', adapter: 'redis', adapterState: 'ok', peers: 3, files: 1 }
      });
      expect((await getJson(`${p.url}/api/files/${id}`)).body.file).toMatchObject({ seeders: 1, leechers: 0, name: 'Cluster Report.pdf' });
      expect((await getJson(`${p.url}/api/peers`)).body.total).toBe(3);
    }
    const metrics = await (await fetch(`${two.url}/metrics`)).text();
    expect(metrics).toMatch(/^shoal_adapter_up\{adapter="redis"\} 1$/m);
    expect(metrics).toMatch(/^shoal_presence_up\{presence="redis"\} 1$/m);
    expect(metrics).toMatch(/^shoal_peers\{kind="node"\} 1$/m);
  });

  it('the same peer connecting to the other process replaces its older socket there', async () => {
    const [one, two] = await cluster(2);
    const { id, manifest } = await makeManifest('moving.bin');
    const token = randomToken();
    const first = await peer(one.url, 'browser', token);
    await request(first.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    const bye = nextEvent(first.socket, 'bye');
    const second = await peer(two.url, 'browser', token);
    expect(await bye).toMatchObject({ code: 'REPLACED' });
    await vi.waitFor(() => expect(first.socket.disconnected).toBe(true));
    // The new session starts empty and announces again; the old socket's disconnect does not remove it.
    await request(second.socket, 'announce', { files: [{ id, have: 3 }] });
    const watcher = await peer(one.url);
    expect((await request(watcher.socket, 'whohas', { id })).peers).toEqual([{ peerId: first.id, kind: 'browser', have: 3, seeder: true }]);
    expect((await getJson(`${one.url}/api/health`)).body.peers).toBe(2);
  });

  it('after a process is killed its peers reconnect to another and carry on; those that do not come back expire', async () => {
    const [one, two] = await cluster(2, { SHOAL_PEER_EXPIRY_MS: '1500', SHOAL_HEARTBEAT_MS: '400' });
    const { id, manifest } = await makeManifest('survivor.bin');
    const a = await peer(one.url);
    const gone = await peer(one.url);
    const b = await peer(two.url);
    for (const p of [a, gone, b]) keepAlive(p.socket);
    await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(gone.socket, 'announce', { files: [{ id, have: 1 }] });
    expect((await request(b.socket, 'whohas', { id })).peers).toHaveLength(2);

    await one.kill('SIGKILL');
    await vi.waitFor(() => expect([a.socket.disconnected, gone.socket.disconnected]).toEqual([true, true]));

    // a comes back through the other process (as a client does behind a proxy) and re-announces.
    const back = await peer(two.url, 'browser', a.token);
    keepAlive(back.socket);

    expect(await request(back.socket, 'announce', { files: [{ id, have: 3 }] })).toMatchObject({ ok: true, accepted: [id] });
    // (Whether 'gone' is still listed here depends on how long the machine took since the kill,
    // so only 'a' is checked; that 'gone' goes is checked below.)
    expect((await request(b.socket, 'whohas', { id })).peers.map((p: { peerId: string }) => p.peerId)).toContain(a.id);
    const atA = nextEvent(back.socket, 'signal');
    expect(await request(b.socket, 'signal', { to: a.id, data: { n: 1 } })).toEqual({ ok: true });
    expect(await atA).toEqual({ from: b.id, data: { n: 1 } });

    // The peer that never came back is swept by the surviving process after the expiry.
    await expect
      .poll(async () => (await request(b.socket, 'whohas', { id })).peers, { timeout: 8_000 })
      .toEqual([{ peerId: a.id, kind: 'browser', have: 3, seeder: true }]);
    expect((await getJson(`${two.url}/api/health`)).body.peers).toBe(2);
    expect((await getJson(`${two.url}/api/files/${id}`)).body.file).toMatchObject({ seeders: 1, leechers: 0 });
  });

  it('a client given several tracker URLs moves to the next when its tracker dies, or is dead from the start', async () => {
    const [one, two] = await cluster(2);
    const { id, manifest } = await makeManifest('failover.bin');
    const token = randomToken();
    const seeder = new TrackerClient({ url: [one.url, two.url], token, kind: 'node', ackTimeoutMs: 5_000 });
    const dead = `http://127.0.0.1:${one.port}`;
    try {
      // The engine announces again on every 'connected'; this test does what it does.
      seeder.on('connected', () => void seeder.announce([{ id, manifest, have: 3 }]).catch(() => undefined));
      await seeder.ready();
      expect(seeder.url).toBe(one.url);
      await one.kill('SIGKILL');
      await vi.waitFor(() => expect([seeder.url, seeder.connected]).toEqual([two.url, true]), 20_000);
      const b = await peer(two.url);
      await expect
        .poll(async () => (await request(b.socket, 'whohas', { id })).peers, { timeout: 5_000 })
        .toEqual([{ peerId: peerIdOf(token), kind: 'node', have: 3, seeder: true }]);

      const late = new TrackerClient({ url: [dead, two.url], token: randomToken(), kind: 'browser', ackTimeoutMs: 5_000 });
      try {
        await late.ready();
        expect(late.url).toBe(two.url);
      } finally {
        late.close();
      }
    } finally {
      seeder.close();
    }
  });

  it('refuses to start when Redis cannot be reached, saying where', async () => {
    const port = redis.port + 1 === 65536 ? redis.port - 1 : redis.port + 1;
    await expect(
      startTrackerProcess({ env: { REDIS_URL: `redis://user:secret@127.0.0.1:${port}`, SHOAL_REDIS_CONNECT_TIMEOUT_MS: '1000' }, timeoutMs: 20_000 })
    ).rejects.toThrow(/Cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1/);
  });
});

describe('tracker: when Redis goes away', () => {
  it('answers with errors and 503 health while Redis is down, and re-registers its peers when it comes back empty', async () => {
    const own = await startRedis();
    let again: TestRedis | undefined;
    try {
      const [p] = await Promise.all([
        startTrackerProcess({ env: { REDIS_URL: own.url, SHOAL_PEER_EXPIRY_MS: '4000', SHOAL_HEARTBEAT_MS: '500' } })
      ]);
      processes.push(p);
      const { id, manifest } = await makeManifest('outage.bin');
      const a = await peer(p.url);
      keepAlive(a.socket);
      await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] });

      await own.stop();
      await expect.poll(async () => (await getJson(`${p.url}/api/health`)).status, { timeout: 10_000 }).toBe(503);
      expect((await getJson(`${p.url}/api/health`)).body).toMatchObject({ ok: false, adapterState: 'down' });
      // Requests fail with a clear code instead of hanging; the process stays up.
      expect(await request(a.socket, 'search', { q: 'outage', limit: 5, offset: 0 })).toMatchObject({ ok: false, code: 'INTERNAL' });
      const late = await connectClient(p.url).catch((err: Error) => err);
      if (!(late instanceof Error)) sockets.push(late);

      // Redis is back, empty: the tracker notices at the next heartbeat that the peer is no
      // longer registered and asks it to reconnect; it does, announces again, and is found.
      const bye = nextEvent(a.socket, 'bye', 15_000);
      again = await startRedis({ port: own.port });
      await expect.poll(async () => (await getJson(`${p.url}/api/health`)).status, { timeout: 15_000 }).toBe(200);
      expect(await bye).toMatchObject({ code: 'EXPIRED' });
      const back = await peer(p.url, 'browser', a.token);
      keepAlive(back.socket);
      expect(await request(back.socket, 'announce', { files: [{ id, manifest, have: 3 }] })).toMatchObject({ ok: true, accepted: [id] });
      const b = await peer(p.url);
      expect((await request(b.socket, 'whohas', { id })).peers).toEqual([{ peerId: a.id, kind: 'browser', have: 3, seeder: true }]);
      expect(p.log()).not.toMatch(/unhandled|could not start/i);
    } finally {
      await again?.stop();
      await own.stop();
    }
  });
});

describe('tracker: one statistics history for several processes', () => {
  let servers: ShoalServer[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
  });

  it('records one point per interval with the counts of every process summed, and dashboards show the sums', async () => {
    const prefix = uniquePrefix();
    const start = () =>
      startShoalServer({ dataDir: '/nonexistent-not-used', redis: { url: redis.url, prefix }, statsIntervalMs: 300, dashboardIntervalMs: 100, log: silentLogger });
    servers = [await start(), await start()];
    const [one, two] = servers;
    const a = await connectClient(one.url);
    const b = await connectClient(two.url);
    sockets.push(a, b);
    for (let i = 0; i < 3; i++) await request(a, 'search', { q: 'x', limit: 1, offset: 0 });
    for (let i = 0; i < 2; i++) await request(b, 'search', { q: 'y', limit: 1, offset: 0 });
    const history = async (): Promise<StatsPoint[]> => (await (await fetch(`${two.url}/api/stats/history?minutes=5`)).json()).points;
    const searches = (points: StatsPoint[]) => points.reduce((n, p) => n + p.searches, 0);
    // Wait until the history holds all five searches, then for a later point: the sum must not
    // grow past five (each search is counted once, by one process's point).
    await expect.poll(async () => searches(await history()), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const written = (await history()).length;
    await expect.poll(async () => (await history()).length, { timeout: 10_000 }).toBeGreaterThan(written);
    const points = await history();
    expect(searches(points)).toBe(5);
    // (One point per interval rather than one per process: tests/integration/redis-shared.test.ts.)
    expect(points.at(-1)!.browserPeers).toBe(2);
    // Dashboards of either process show the network's activity, not their own process's (the
    // network's counters are shared on the dashboard timer, so wait for them).
    for (const s of servers) {
      await expect.poll(async () => (await (await fetch(`${s.url}/api/overview`)).json()).activity.searches, { timeout: 10_000 }).toBe(5);
    }
  });
});
