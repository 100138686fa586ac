import { afterEach, describe, expect, it, vi } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { DashboardStatsEvent } from '../../src/lib/tracker/api.ts';
import { makeManifest, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

const running: TestTracker[] = [];
const dashboards: Socket[] = [];
afterEach(async () => {
  for (const d of dashboards.splice(0)) d.close();
  for (const t of running.splice(0)) await t.close();
});

async function start(opts: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  const t = await startTestTracker(opts);
  running.push(t);
  return t;
}

/** A dashboard: no auth, namespace /dashboard; records every `stats` event it gets. */
async function watch(url: string): Promise<{ socket: Socket; events: DashboardStatsEvent[] }> {
  const socket = io(`${url}/dashboard`, { forceNew: true, reconnection: false, transports: ['websocket'] });
  dashboards.push(socket);
  const events: DashboardStatsEvent[] = [];
  socket.on('stats', (e: DashboardStatsEvent) => events.push(e));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, events };
}

describe('tracker: dashboard feed (namespace /dashboard)', () => {
  it('sends the overview on connect without any auth, and is not a peer', async () => {
    const t = await start();
    const { events } = await watch(t.url);
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(1));
    expect(events[0].point).toBeUndefined();
    expect(events[0].overview).toMatchObject({
      peers: { total: 0, browser: 0, node: 0 },
      files: { indexed: 0, active: 0, bytesAnnounced: 0 },
      transfers: { completed: 0, bytesUp: 0, bytesDown: 0, reports: 0 },
      peerList: [],
      topFiles: []
    });
    expect((await t.get('/api/stats')).body.connections.total).toBe(0);
  });

  it('updates live: peers, public files with their counts, reports, and new history points', async () => {
    const t = await start({ dashboardIntervalMs: 50, statsIntervalMs: 150 });
    const { events } = await watch(t.url);
    const token = randomToken();
    const seeder = await t.connect({ token, kind: 'node' });
    const leecher = await t.connect();
    const { id, manifest } = await makeManifest('Live <b>file</b>.txt', 40_000);
    await request(seeder, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(leecher, 'announce', { files: [{ id, have: 1 }] });
    await request(leecher, 'report', { up: 0, down: 16_384, completed: 0 });
    await vi.waitFor(() => {
      const o = events.at(-1)?.overview;
      expect([o?.peers.total, o?.topFiles.length, o?.transfers.bytesDown]).toEqual([2, 1, 16_384]);
    });
    const o = events.at(-1)!.overview;
    expect(o.peers).toEqual({ total: 2, browser: 1, node: 1 });
    expect(o.files).toEqual({ indexed: 1, active: 1, bytesAnnounced: 40_000 });
    expect(o.swarms).toEqual({ active: 1, seeders: 1, leechers: 1 });
    expect(o.topFiles).toEqual([{ id, name: 'Live <b>file<_b>.txt', size: 40_000, seeders: 1, leechers: 1 }]);
    expect(o.peerList[0]).toMatchObject({ peerId: peerIdOf(token), kind: 'node', files: 1, seeding: 1, connectedAt: expect.any(Number) });
    await vi.waitFor(() => expect(events.some((e) => e.point?.swarms === 1)).toBe(true));
    const withPoint = events.find((e) => e.point?.swarms === 1)!;
    expect(withPoint.point).toMatchObject({ nodePeers: 1, browserPeers: 1, files: 1, bytesAnnounced: 40_000 });
    // The same point is in the history.
    const history = (await t.get('/api/stats/history?minutes=5')).body.points;
    expect(history).toContainEqual(withPoint.point);
    // GET /api/overview is the same data for scripts.
    const rest = (await t.get('/api/overview')).body;
    expect(rest).toMatchObject({ ok: true, peers: o.peers, files: o.files, topFiles: o.topFiles });
  });

  it('never shows unlisted files by name or id, to dashboards or in REST lists, but counts them', async () => {
    const t = await start({ dashboardIntervalMs: 30, statsIntervalMs: 60 });
    const { events } = await watch(t.url);
    const s = await t.connect();
    const other = await t.connect({ kind: 'node' });
    const hidden = await makeManifest('secret-unlisted-plans.pdf');
    const pub = await makeManifest('public-notes.txt');
    await request(s, 'announce', {
      files: [
        { id: hidden.id, manifest: hidden.manifest, have: 3, visibility: 'unlisted' },
        { id: pub.id, manifest: pub.manifest, have: 3 }
      ]
    });
    // Even a second peer announcing it public does not list it (the first visibility stays).
    await request(other, 'announce', { files: [{ id: hidden.id, have: 1, visibility: 'public' }] });
    await vi.waitFor(() => {
      expect(events.some((e) => e.overview.files.indexed === 2 && e.overview.topFiles.length === 1)).toBe(true);
      expect(events.some((e) => e.point?.files === 2)).toBe(true);
    });
    const last = events.at(-1)!.overview;
    expect(last.files).toMatchObject({ indexed: 2, active: 2 });
    expect(last.topFiles.map((f) => f.name)).toEqual(['public-notes.txt']);
    const leaks = (text: string) => text.includes(hidden.id) || text.includes('secret-unlisted') || text.includes(hidden.id.slice(0, 16));
    expect(leaks(JSON.stringify(events))).toBe(false);
    for (const path of ['/api/overview', '/api/files', '/api/files?q=secret', '/api/peers', '/api/stats', '/api/stats/history', '/api/health']) {
      const r = await t.get(path);
      expect(r.status, path).toBe(200);
      expect(leaks(JSON.stringify(r.body)), path).toBe(false);
    }
    // Reachable by id only, as documented.
    expect((await t.get(`/api/files/${hidden.id}`)).body.file.visibility).toBe('unlisted');
  });

  it('ignores what dashboards send, and disconnects them when the tracker stops', async () => {
    const t = await start();
    const { socket } = await watch(t.url);
    await expect(socket.timeout(300).emitWithAck('announce', { files: [] })).rejects.toThrow();
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await t.server.close();
    expect(await closed).toMatch(/io server disconnect|transport close/);
  });
});
