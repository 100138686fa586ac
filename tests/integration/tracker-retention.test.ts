/**
 * The index retention sweep (SHOAL_INDEX_RETENTION_DAYS): on a tracker whose clock stands still
 * and is moved by the test, a file nobody has announced for longer than the retention leaves
 * search and the index, and a file seen within it stays. The sweep runs every 20 ms of real time;
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
  t = await startTestTracker({ now: () => start + later, indexRetentionMs: RETENTION_MS, indexSweepIntervalMs: 20 });
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
  it('purges a file nobody announced for longer than the retention; one seen within it stays', async () => {
    const old = await announceAndLeave('old retention report.pdf');
    later = 6 * 60_000;
    const fresh = await announceAndLeave('fresh retention report.pdf');
    const ids = async () => ((await t.get('/api/files?q=retention')).body as { results: { id: string }[] }).results.map((r) => r.id);
    expect((await ids()).sort()).toEqual([old, fresh].sort());

    // 12 minutes after the first announce: the old file is 2 minutes past the retention, the fresh one 4 within it.
    later = 12 * 60_000;
    await expect.poll(ids).toEqual([fresh]);
    expect((await t.get(`/api/files/${old}`)).status).toBe(404);
    expect((await t.get(`/api/files/${fresh}`)).status).toBe(200);
    expect(await t.server.tracker.health()).toMatchObject({ files: 1 });
  });
});
