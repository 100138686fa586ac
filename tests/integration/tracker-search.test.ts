import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeManifest, request, startTestTracker, type ClientSocket, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
let s: ClientSocket;
/** The tracker's clock stands still at `start + later`; a test moves it on by raising `later`. */
const start = Date.now();
let later = 0;
beforeEach(async () => {
  later = 0;
  t = await startTestTracker({ now: () => start + later });
  s = await t.connect();
});
afterEach(async () => {
  await t.close();
});

async function announce(socket: ClientSocket, name: string, opts: { have?: number; visibility?: 'public' | 'unlisted' } = {}) {
  const f = await makeManifest(name, 40_000); // 3 chunks
  const ack = await request(socket, 'announce', { files: [{ id: f.id, manifest: f.manifest, have: opts.have ?? 3, visibility: opts.visibility }] });
  expect(ack.accepted).toEqual([f.id]);
  return f.id;
}

describe('tracker: search', () => {
  it('matches all words, in any case, as parts of the name', async () => {
    const a = await announce(s, 'Summer Holiday 2024.zip');
    const b = await announce(s, 'holiday-notes.txt');
    await announce(s, 'Winter 2024.zip');
    const one = await request(s, 'search', { q: 'HOLIDAY' });
    expect(one.total).toBe(2);
    expect(one.results.map((r: { id: string }) => r.id).sort()).toEqual([a, b].sort());
    const both = await request(s, 'search', { q: '  holiday   2024 ' });
    expect(both).toMatchObject({ ok: true, total: 1, results: [{ id: a, name: 'Summer Holiday 2024.zip', size: 40_000, seeders: 1, leechers: 0 }] });
    expect(typeof both.results[0].lastSeen).toBe('number');
    expect((await request(s, 'search', { q: 'holiday autumn' })).total).toBe(0);
  });

  it('name="..." matches the exact name only', async () => {
    const exact = await announce(s, 'exact.txt');
    await announce(s, 'not-exact.txt');
    await announce(s, 'EXACT.txt');
    const r = await request(s, 'search', { q: 'name="exact.txt"' });
    expect(r.total).toBe(1);
    expect(r.results[0].id).toBe(exact);
    expect((await request(s, 'search', { q: 'exact.txt' })).total).toBe(3);
  });

  it('a query of 8 to 64 hex characters also matches id prefixes', async () => {
    const id = await announce(s, 'some file.bin');
    await announce(s, 'another file.bin');
    for (const q of [id.slice(0, 8), id.slice(0, 20).toUpperCase(), id]) {
      const r = await request(s, 'search', { q });
      expect(r.results.map((x: { id: string }) => x.id)).toEqual([id]);
    }
    expect((await request(s, 'search', { q: id.slice(0, 7) })).total).toBe(0);
    // A hex word that appears in a name matches the name too.
    const named = await announce(s, `backup-${'deadbeef'}.tar`);
    expect((await request(s, 'search', { q: 'deadbeef' })).results.map((x: { id: string }) => x.id)).toContain(named);
  });

  it('never shows unlisted files, but they stay reachable by id', async () => {
    const hidden = await announce(s, 'private diary.txt', { visibility: 'unlisted' });
    await announce(s, 'public diary.txt');
    const r = await request(s, 'search', { q: 'diary' });
    expect(r.total).toBe(1);
    expect(r.results[0].name).toBe('public diary.txt');
    expect((await request(s, 'search', { q: hidden.slice(0, 16) })).total).toBe(0);
    expect((await request(s, 'search', { q: 'name="private diary.txt"' })).total).toBe(0);
    expect((await t.get('/api/files?q=diary')).body.total).toBe(1);
    expect((await request(s, 'manifest', { id: hidden })).ok).toBe(true);
  });

  it('ranks by seeders, then recency, and pages with limit and offset', async () => {
    const other = await t.connect();
    const old = await announce(s, 'rank old.bin');
    await request(s, 'unannounce', { ids: [old] });
    later += 60_000; // a minute on: 'recent' is seen after 'old'
    const recent = await announce(s, 'rank recent.bin');
    await request(s, 'unannounce', { ids: [recent] });
    later += 60_000; // and the files still shared are seen now, after both
    const leeched = await announce(s, 'rank leeched.bin', { have: 1 });
    const one = await announce(s, 'rank one.bin');
    const two = await announce(s, 'rank two.bin');
    await request(other, 'announce', { files: [{ id: two, have: 3 }] });
    const all = await request(s, 'search', { q: 'rank' });
    expect(all.total).toBe(5);
    expect(all.results.map((r: { id: string }) => r.id)).toEqual([two, one, leeched, recent, old]);
    expect(all.results.map((r: { seeders: number; leechers: number }) => [r.seeders, r.leechers])).toEqual([[2, 0], [1, 0], [0, 1], [0, 0], [0, 0]]);
    const page = await request(s, 'search', { q: 'rank', limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 5, results: [{ id: one }, { id: leeched }] });
    // An empty query lists every public file.
    expect((await request(s, 'search', { q: '' })).total).toBe(5);
  });
});
