import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RATE_LIMITS } from '../../src/lib/tracker/constants.ts';
import { makeManifest, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(async () => {
  await t.close();
});

const TIB = 2 ** 40;

describe('tracker: transfer reports', () => {
  it('answers { ok: true } and counts bytes and completed transfers in /api/stats', async () => {
    const a = await t.connect();
    const b = await t.connect({ kind: 'node' });
    expect(await request(a, 'report', { up: 1000, down: 250_000, completed: 1 })).toEqual({ ok: true });
    expect(await request(a, 'report', { up: 0, down: 0, completed: 0 })).toEqual({ ok: true });
    expect(await request(b, 'report', { up: TIB, down: 5, completed: 2 })).toEqual({ ok: true });
    const stats = (await t.get('/api/stats')).body;
    expect(stats.transfers).toEqual({ completed: 3, bytesUp: TIB + 1000, bytesDown: 250_005, reports: 3 });
    expect(stats.events.report).toBe(3);
  });

  const bad: [string, unknown][] = [
    ['empty', {}],
    ['missing completed', { up: 1, down: 1 }],
    ['negative', { up: -1, down: 0, completed: 0 }],
    ['fraction', { up: 1.5, down: 0, completed: 0 }],
    ['string', { up: '1', down: 0, completed: 0 }],
    ['over 1 TiB', { up: 0, down: TIB + 1, completed: 0 }],
    ['unsafe integer', { up: 2 ** 60, down: 0, completed: 0 }],
    ['too many completed', { up: 0, down: 0, completed: 10_001 }],
    ['null', { up: null, down: 0, completed: 0 }],
    ['not an object', [1, 2, 3]]
  ];
  for (const [name, payload] of bad) {
    it(`rejects ${name} with BAD_REQUEST and counts nothing`, async () => {
      const s = await t.connect();
      expect(await request(s, 'report', payload)).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.any(String) });
      const stats = (await t.get('/api/stats')).body;
      expect(stats.transfers).toEqual({ completed: 0, bytesUp: 0, bytesDown: 0, reports: 0 });
      expect(stats.rejected.BAD_REQUEST).toBe(1);
    });
  }

  it('is rate-limited with the other events', async () => {
    // On a clock that stands still no token comes back, so the counts do not depend on how fast
    // the machine answers: exactly the burst (100 for 'other' events) goes through.
    await t.close();
    const frozen = Date.now();
    t = await startTestTracker({ now: () => frozen });
    const s = await t.connect();
    const acks = await Promise.all(Array.from({ length: 130 }, () => request(s, 'report', { up: 1, down: 1, completed: 0 })));
    expect(acks.filter((a) => a.ok).length).toBe(RATE_LIMITS.other.burst);
    expect(acks.filter((a) => !a.ok && a.code === 'RATE_LIMITED').length).toBe(130 - RATE_LIMITS.other.burst);
    expect((await t.get('/api/stats')).body.transfers.reports).toBe(RATE_LIMITS.other.burst);
  });

  it('counts a leecher that re-announces as seeder as one completed transfer, also when it reports it', async () => {
    const seeder = await t.connect();
    const leecher = await t.connect();
    const { id, manifest } = await makeManifest('movie.bin', 40_000); // 3 chunks
    await request(seeder, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(leecher, 'announce', { files: [{ id, have: 0 }] });
    await request(leecher, 'announce', { files: [{ id, have: 2 }] });
    expect((await t.get('/api/stats')).body.transfers.completed).toBe(0);
    await request(leecher, 'announce', { files: [{ id, have: 3 }] });
    expect((await t.get('/api/stats')).body.transfers.completed).toBe(1);
    // The same download reported afterwards is not counted twice.
    await request(leecher, 'report', { up: 0, down: 40_000, completed: 1 });
    await request(seeder, 'report', { up: 40_000, down: 0, completed: 0 });
    expect((await t.get('/api/stats')).body.transfers).toEqual({ completed: 1, bytesUp: 40_000, bytesDown: 40_000, reports: 2 });
  });
});
