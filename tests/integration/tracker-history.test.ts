import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StatsPoint } from '../../src/lib/tracker/api.ts';
import { makeManifest, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

const running: TestTracker[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(opts: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  const t = await startTestTracker(opts);
  running.push(t);
  return t;
}

async function points(t: TestTracker, minutes = 60): Promise<StatsPoint[]> {
  const r = await t.get(`/api/stats/history?minutes=${minutes}`);
  expect(r.status).toBe(200);
  expect(r.body.ok).toBe(true);
  return r.body.points;
}

const sum = (ps: StatsPoint[], k: keyof StatsPoint) => ps.reduce((n, p) => n + p[k], 0);

describe('tracker: statistics history', () => {
  it('writes a point on every tick and keeps them across a restart with the same data dir', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-history-'));
    const first = await start({ dataDir: dir, statsIntervalMs: 100 });
    const s = await first.connect({ kind: 'node' });
    const { id, manifest } = await makeManifest('history.bin', 40_000);
    await request(s, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(s, 'search', { q: 'history' });
    await request(s, 'report', { up: 123, down: 456, completed: 2 });
    // Wait for a point that sees the peer and for the counts to be in the history.
    await vi.waitFor(async () => {
      const ps = await points(first);
      expect(ps.some((p) => p.nodePeers === 1 && p.swarms === 1)).toBe(true);
      expect(sum(ps, 'bytesUp')).toBe(123);
    });
    const written = await points(first);
    for (let i = 1; i < written.length; i++) expect(written[i].time).toBeGreaterThanOrEqual(written[i - 1].time);
    expect(written.find((p) => p.swarms === 1)).toMatchObject({ nodePeers: 1, browserPeers: 0, files: 1, bytesAnnounced: 40_000 });
    expect(sum(written, 'announces')).toBe(1);
    expect(sum(written, 'searches')).toBe(1);
    expect(sum(written, 'transfers')).toBe(2);
    expect(sum(written, 'bytesDown')).toBe(456);
    await first.close();

    const second = await start({ dataDir: dir, statsIntervalMs: 60_000 });
    const kept = await points(second);
    expect(kept.slice(0, written.length)).toEqual(written);
  });

  it('prunes points older than the retention', async () => {
    // Points are written every 20 ms; their times come from a clock that stands still until the
    // test moves it, so which points are older than the 200 ms retention is fixed by the test.
    const t0 = Date.now();
    let clock = t0;
    const t = await start({ statsIntervalMs: 20, statsRetentionMs: 200, now: () => clock });
    const at = async (time: number) => (await points(t)).filter((p) => p.time === time).length;
    // Two points at a time: the write of the second began after the first write's prune ended.
    await vi.waitFor(async () => expect(await at(t0)).toBeGreaterThanOrEqual(2));
    clock = t0 + 150; // t0 is still within the retention
    await vi.waitFor(async () => expect(await at(t0 + 150)).toBeGreaterThanOrEqual(2));
    expect(await at(t0)).toBeGreaterThanOrEqual(2);
    clock = t0 + 300; // t0 is now older than the retention, t0 + 150 is not
    await vi.waitFor(async () => expect(await at(t0 + 300)).toBeGreaterThanOrEqual(2));
    expect(new Set((await points(t)).map((p) => p.time))).toEqual(new Set([t0 + 150, t0 + 300]));
  });

  it('validates ?minutes= (1 to 10080, default 60)', async () => {
    const t = await start();
    expect((await t.get('/api/stats/history')).body).toEqual({ ok: true, points: [] });
    expect((await t.get('/api/stats/history?minutes=1')).status).toBe(200);
    expect((await t.get('/api/stats/history?minutes=10080')).status).toBe(200);
    for (const bad of ['0', '10081', '-1', '1.5', 'abc', '', '1e3', '99999999999']) {
      const r = await t.get(`/api/stats/history?minutes=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.any(String) });
    }
    const post = await fetch(`${t.url}/api/stats/history`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('refuses bad interval options', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-history-'));
    await expect(startTestTracker({ dataDir: dir, statsIntervalMs: 0 })).rejects.toThrow(/statsIntervalMs/);
    await expect(startTestTracker({ dataDir: dir, dashboardIntervalMs: 1.5 })).rejects.toThrow(/dashboardIntervalMs/);
  });
});
