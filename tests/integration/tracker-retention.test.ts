/**
 * The index retention sweep (SHOAL_INDEX_RETENTION_DAYS): on a tracker whose clock stands still
 * and is moved by the test, a file nobody has announced for longer than the retention leaves
 * search and the index, and a file seen within it stays, and so does one a peer still seeds.
 * Peers expire after an hour of that clock, so the seeder stays online throughout. The sweep runs every 20 ms of real time;
 * what it purges depends only on the injected clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeManifest, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

const RETENTION_MS = 10 * 60_000;
const start = Date.now();
let later = 0;
let t: TestTracker;
beforeEach(async () => {
  later = 0;
  t = await startTestTracker({ now: () => start + later, indexRetentionMs: RETENTION_MS, indexSweepIntervalMs: 20, expiryMs: 3_600_000 });
});
afterEach(async () => {
  await t.close();
});

/** A peer announces `name` and leaves; resolves once the tracker has seen it go (the file's last-seen is then the clock's time). */
async function announceAndLeave(name: string): Promise<string> {
  const f = await makeManifest(name);
  const socket = await t.connect();
  expect((await request(socket, 'announce', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] })).accepted).toEqual([f.id]);
  socket.disconnect();
  await expect.poll(async () => ((await t.get(`/api/files/${f.id}`)).body as { file: { seeders: number } }).file.seeders).toBe(0);
  return f.id;
}

describe('tracker: index retention', () => {
  it('purges a file nobody announced for longer than the retention; one seen within it stays, and one still seeded', async () => {
    const seeded = await makeManifest('seeded retention report.pdf');
    const seeder = await t.connect();
    expect((await request(seeder, 'announce', { files: [{ id: seeded.id, manifest: seeded.manifest, have: 3 }] })).accepted).toEqual([seeded.id]);
    const old = await announceAndLeave('old retention report.pdf');
    later = 6 * 60_000;
    const fresh = await announceAndLeave('fresh retention report.pdf');
    const ids = async () => ((await t.get('/api/files?q=retention')).body as { results: { id: string }[] }).results.map((r) => r.id);
    expect((await ids()).sort()).toEqual([old, fresh, seeded.id].sort());

    // 12 minutes after the first announce: the old file is 2 minutes past the retention, the fresh one 4 within it.
    later = 12 * 60_000;
    await expect.poll(async () => (await ids()).sort()).toEqual([fresh, seeded.id].sort());
    expect((await t.get(`/api/files/${old}`)).status).toBe(404);
    expect((await t.get(`/api/files/${fresh}`)).status).toBe(200);
    // The seeded file, announced as long ago as the old one, was marked seen by the sweep.
    expect(((await t.get(`/api/files/${seeded.id}`)).body as { file: { seeders: number; lastSeen: number } }).file).toMatchObject({ seeders: 1, lastSeen: start + later });
    expect(await t.server.tracker.health()).toMatchObject({ files: 2 });
  });
});
