/**
 * The compliance suite every IndexStore passes (STYLE.md §8): memory-index-store.spec.ts and
 * sqlite-store.spec.ts run it. `open` gives a fresh, empty store; `reopen`, when the store
 * persists, gives a new instance over the same data after the old one was closed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkCount } from '../../core/chunks.ts';
import { createManifest, type Manifest } from '../../core/manifest.ts';
import type { StatsPoint } from '../../tracker/api.ts';
import type { IndexStore } from '../../tracker/index-store.ts';
import { parseSearchQuery } from '../../tracker/search-query.ts';

/** A manifest and a stand-in id (stores do not verify: the tracker did). */
function sample(name: string, size = 40_000): { id: string; manifest: Manifest } {
  const chunkSize = 16 * 1024;
  const chunkHashes = Array.from({ length: chunkCount(size, chunkSize) }, () => randomBytes(32).toString('hex'));
  const manifest = createManifest({ name, size, mimeType: 'text/plain', chunkSize, chunkHashes });
  return { id: createHash('sha256').update(JSON.stringify(manifest)).digest('hex'), manifest };
}

/** A history point at `time` whose counters are all `n`. */
function point(time: number, n = 1): StatsPoint {
  return {
    time,
    browserPeers: n,
    nodePeers: n + 1,
    files: n + 2,
    swarms: n + 3,
    bytesAnnounced: 2 ** 41 + n,
    announces: n,
    searches: n,
    signals: n,
    transfers: n,
    bytesUp: 2 ** 40,
    bytesDown: n
  };
}

export function indexStoreContract(
  label: string,
  open: () => Promise<IndexStore>,
  reopen?: (old: IndexStore) => Promise<IndexStore>
): void {
  describe(`IndexStore contract: ${label}`, () => {
    const opened: IndexStore[] = [];
    const fresh = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('inserts new files with their manifest and reads them back', async () => {
      const store = await fresh();
      const a = sample('Alpha.txt');
      expect(await store.getFile(a.id)).toBeUndefined();
      await store.recordAnnounces([{ id: a.id, manifest: a.manifest, visibility: 'public' }], 1000);
      expect(await store.getFile(a.id)).toEqual({
        id: a.id,
        name: 'Alpha.txt',
        size: 40_000,
        mimeType: 'text/plain',
        chunkSize: 16_384,
        chunks: 3,
        visibility: 'public',
        firstSeen: 1000,
        lastSeen: 1000,
        announceCount: 1
      });
      expect(await store.getManifest(a.id)).toEqual(a.manifest);
      expect(await store.countFiles()).toBe(1);
    });

    it('keeps the first manifest and visibility; later announces bump last_seen and the count', async () => {
      const store = await fresh();
      const a = sample('first.txt');
      await store.recordAnnounces([{ id: a.id, manifest: a.manifest, visibility: 'unlisted' }], 1000);
      const renamed = { ...a.manifest, name: 'second.txt' };
      await store.recordAnnounces([{ id: a.id, manifest: renamed, visibility: 'public' }], 2000);
      await store.recordAnnounces([{ id: a.id, visibility: 'public' }], 3000);
      expect(await store.getFile(a.id)).toMatchObject({ name: 'first.txt', visibility: 'unlisted', firstSeen: 1000, lastSeen: 3000, announceCount: 3 });
      expect((await store.getManifest(a.id))?.name).toBe('first.txt');
    });

    it('ignores an announce without manifest for an unknown id', async () => {
      const store = await fresh();
      await store.recordAnnounces([{ id: 'a'.repeat(64), visibility: 'public' }], 1000);
      expect(await store.countFiles()).toBe(0);
    });

    it('getFiles returns the known ones; touch sets last_seen', async () => {
      const store = await fresh();
      const a = sample('a.txt');
      const b = sample('b.txt');
      await store.recordAnnounces([a, b].map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      await store.touch([b.id, 'c'.repeat(64)], 5000);
      const got = await store.getFiles([a.id, b.id, 'c'.repeat(64)]);
      expect([...got.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(got.get(b.id)?.lastSeen).toBe(5000);
      expect(got.get(b.id)?.announceCount).toBe(1);
    });

    it('searches public names by words, exact name and id prefix, most recent first', async () => {
      const store = await fresh();
      const files = [sample('Summer Holiday.zip'), sample('holiday notes.txt'), sample('Winter.zip'), sample('Hidden holiday.zip')];
      await store.recordAnnounces(files.slice(0, 3).map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      await store.recordAnnounces([{ ...files[3], visibility: 'unlisted' }], 1000);
      await store.touch([files[1].id], 2000);
      const words = await store.search(parseSearchQuery('HOLIDAY'), 10);
      expect(words.total).toBe(2);
      expect(words.rows.map((r) => r.id)).toEqual([files[1].id, files[0].id]);
      expect(words.rows[0]).toEqual({ id: files[1].id, name: 'holiday notes.txt', size: 40_000, lastSeen: 2000 });
      expect((await store.search(parseSearchQuery('holiday zip'), 10)).rows.map((r) => r.id)).toEqual([files[0].id]);
      expect((await store.search(parseSearchQuery('name="Winter.zip"'), 10)).total).toBe(1);
      expect((await store.search(parseSearchQuery('name="winter.zip"'), 10)).total).toBe(0);
      expect((await store.search(parseSearchQuery(files[2].id.slice(0, 10)), 10)).rows.map((r) => r.id)).toEqual([files[2].id]);
      expect((await store.search(parseSearchQuery(files[3].id.slice(0, 10)), 10)).total).toBe(0);
      expect((await store.search(parseSearchQuery(''), 10)).total).toBe(3);
      const capped = await store.search(parseSearchQuery(''), 2);
      expect(capped.total).toBe(3);
      expect(capped.rows).toHaveLength(2);
    });

    it('treats search words literally (no wildcards)', async () => {
      const store = await fresh();
      const a = sample('100% done_file.txt');
      const b = sample('100 x done-file.txt');
      await store.recordAnnounces([a, b].map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      expect((await store.search(parseSearchQuery('100%'), 10)).rows.map((r) => r.id)).toEqual([a.id]);
      expect((await store.search(parseSearchQuery('done_'), 10)).rows.map((r) => r.id)).toEqual([a.id]);
    });

    it('purges the files not seen since a time, in batches; they leave search, the count and the manifests', async () => {
      const store = await fresh();
      const stale = [sample('old holiday one.zip'), sample('old holiday two.zip'), sample('old holiday three.zip')];
      const hidden = sample('old hidden.zip');
      const kept = sample('kept holiday.zip');
      await store.recordAnnounces([...stale, kept].map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      await store.recordAnnounces([{ ...hidden, visibility: 'unlisted' }], 1000);
      await store.touch([kept.id], 3000);
      // Two at a time: three batches for four stale files.
      expect(await store.purgeUnseen(3000, { batch: 2 })).toBe(4);
      expect(await store.countFiles()).toBe(1);
      for (const f of [...stale, hidden]) {
        expect(await store.getFile(f.id)).toBeUndefined();
        expect(await store.getManifest(f.id)).toBeUndefined();
      }
      expect((await store.getFiles([...stale, kept].map((f) => f.id))).size).toBe(1);
      expect((await store.search(parseSearchQuery('holiday'), 10)).rows.map((r) => r.id)).toEqual([kept.id]);
      expect((await store.search(parseSearchQuery(stale[0].id.slice(0, 10)), 10)).total).toBe(0);
      expect((await store.search(parseSearchQuery('name="old holiday one.zip"'), 10)).total).toBe(0);
      // A time at last_seen keeps the file; nothing is left to purge before it.
      expect(await store.purgeUnseen(3000)).toBe(0);
      expect(await store.getFile(kept.id)).toMatchObject({ lastSeen: 3000 });
      // Announced again, a purged file is new: its manifest is needed and its counts start over.
      await store.recordAnnounces([{ id: stale[0].id, visibility: 'public' }], 4000);
      expect(await store.getFile(stale[0].id)).toBeUndefined();
      await store.recordAnnounces([{ ...stale[0], visibility: 'public' }], 5000);
      expect(await store.getFile(stale[0].id)).toMatchObject({ firstSeen: 5000, lastSeen: 5000, announceCount: 1 });
      expect((await store.search(parseSearchQuery('holiday'), 10)).rows.map((r) => r.id)).toEqual([stale[0].id, kept.id]);
    });

    it('keeps, and marks seen, the stale files the keep callback names', async () => {
      const store = await fresh();
      const files = ['shared one.txt', 'gone one.txt', 'shared two.txt', 'gone two.txt', 'gone three.txt'].map((n) => sample(n));
      await store.recordAnnounces(files.map((f) => ({ ...f, visibility: 'public' as const })), 1000);
      const shared = new Set([files[0].id, files[2].id]);
      const asked: string[][] = [];
      const purged = await store.purgeUnseen(2000, {
        batch: 2,
        now: 5000,
        keep: async (ids) => {
          asked.push(ids);
          return new Set(ids.filter((id) => shared.has(id)));
        }
      });
      expect(purged).toBe(3);
      // Every stale file was asked about once, at most a batch at a time.
      expect(asked.flat().sort()).toEqual(files.map((f) => f.id).sort());
      expect(asked.every((ids) => ids.length >= 1 && ids.length <= 2)).toBe(true);
      expect(await store.countFiles()).toBe(2);
      for (const f of files) expect((await store.getFile(f.id))?.lastSeen).toBe(shared.has(f.id) ? 5000 : undefined);
      expect(await store.purgeUnseen(2000)).toBe(0);
    });

    it('stores statistics points and reads them back by time, oldest first', async () => {
      const store = await fresh();
      expect(await store.statsHistory(0, 10)).toEqual([]);
      for (const t of [1000, 2000, 3000, 4000]) await store.addStatsPoint(point(t, t / 1000));
      expect(await store.statsHistory(0, 10)).toEqual([point(1000, 1), point(2000, 2), point(3000, 3), point(4000, 4)]);
      expect((await store.statsHistory(2000, 10)).map((p) => p.time)).toEqual([2000, 3000, 4000]);
      expect((await store.statsHistory(5000, 10)).map((p) => p.time)).toEqual([]);
      // Capped: the newest ones, still oldest first.
      expect((await store.statsHistory(0, 2)).map((p) => p.time)).toEqual([3000, 4000]);
      expect(await store.statsHistory(0, 0)).toEqual([]);
    });

    it('keeps two points taken in the same millisecond, and prunes old points', async () => {
      const store = await fresh();
      await store.addStatsPoint(point(1000, 1));
      await store.addStatsPoint(point(1000, 2));
      await store.addStatsPoint(point(2000, 3));
      await store.addStatsPoint(point(3000, 4));
      expect((await store.statsHistory(0, 10)).map((p) => p.announces)).toEqual([1, 2, 3, 4]);
      expect(await store.pruneStats(2000)).toBe(2);
      expect(await store.pruneStats(2000)).toBe(0);
      expect((await store.statsHistory(0, 10)).map((p) => p.time)).toEqual([2000, 3000]);
      // Files are untouched by the history.
      expect(await store.countFiles()).toBe(0);
    });

    it('close is idempotent', async () => {
      const store = await open();
      await store.close();
      await store.close();
    });

    if (reopen) {
      it('keeps everything after close and reopen', async () => {
        const store = await open();
        const a = sample('persist.txt');
        await store.recordAnnounces([{ ...a, visibility: 'unlisted' }], 1234);
        await store.addStatsPoint(point(5000, 7));
        await store.close();
        const again = await reopen(store);
        opened.push(again);
        expect(await store.getFile(a.id).catch(() => 'closed')).toBe('closed');
        expect(await again.getFile(a.id)).toMatchObject({ name: 'persist.txt', visibility: 'unlisted', lastSeen: 1234 });
        expect(await again.getManifest(a.id)).toEqual(a.manifest);
        expect(await again.statsHistory(0, 10)).toEqual([point(5000, 7)]);
      });
    }
  });
}
