import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkCount } from '../core/chunks.ts';
import { computeContentId, createManifest, type Sha256 } from '../core/manifest.ts';
import { MAX_WHOHAS_PEERS } from './constants.ts';
import { seededRandom } from '../core/prng.ts';
import { MemoryIndexStore } from './memory-index-store.ts';
import { Tracker } from './tracker.ts';

const sha256: Sha256 = async (b) => new Uint8Array(createHash('sha256').update(b).digest());

async function sample(name: string, size = 40_000) {
  const chunkHashes = Array.from({ length: chunkCount(size, 16384) }, () => randomBytes(32).toString('hex'));
  const manifest = createManifest({ name, size, mimeType: '', chunkSize: 16384, chunkHashes });
  return { id: await computeContentId(manifest, sha256), manifest };
}

async function countsOf(tracker: Tracker, id: string) {
  return (await tracker.presence.swarmCounts([id])).get(id);
}

function setup(opts: { expiryMs?: number; random?: () => number } = {}) {
  const clock = { t: 1_000 };
  const store = new MemoryIndexStore();
  const tracker = new Tracker({ store, sha256, now: () => clock.t, random: opts.random }, { expiryMs: opts.expiryMs ?? 1000, heartbeatMs: 300 });
  return { clock, store, tracker };
}

describe('Tracker', () => {
  it('sweep removes silent peers from their swarms and reports them', async () => {
    const { clock, tracker } = setup();
    const f = await sample('x');
    await tracker.connect('a', 'browser');
    await tracker.connect('b', 'browser');
    await tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    clock.t += 600;
    tracker.touch('b');
    clock.t += 600;
    expect(await tracker.sweep()).toEqual(['a']);
    expect(await countsOf(tracker, f.id)).toEqual({ seeders: 0, leechers: 0 });
    expect(tracker.stats.connections.expired).toBe(1);
    expect(await tracker.sweep()).toEqual([]);
    const hit = (await tracker.search({ q: 'x', limit: 5, offset: 0 })).results[0];
    expect(hit.lastSeen).toBe(clock.t);
  });

  it('does not put a peer that left during the announce into a swarm, but indexes the file', async () => {
    const { store, tracker } = setup();
    const f = await sample('y');
    await tracker.connect('a', 'node');
    const pending = tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    void tracker.disconnect('a');
    expect((await pending).accepted).toEqual([f.id]);
    expect(await countsOf(tracker, f.id)).toEqual({ seeders: 0, leechers: 0 });
    expect(await store.getFile(f.id)).toBeDefined();
  });

  it(`whohas lists at most ${MAX_WHOHAS_PEERS} peers, seeders first, and permits signalling them`, async () => {
    const { tracker } = setup();
    const f = await sample('z');
    await tracker.connect('asker', 'browser');
    for (let i = 0; i < 60; i++) {
      const p = `p${i}`;
      await tracker.connect(p, 'browser');
      await tracker.announce(p, { files: [{ id: f.id, manifest: f.manifest, have: i < 5 ? 3 : 1 }] });
    }
    const { peers } = await tracker.whohas('asker', f.id);
    expect(peers).toHaveLength(MAX_WHOHAS_PEERS);
    expect(peers.slice(0, 5).every((p) => p.seeder)).toBe(true);
    expect(peers.slice(5).some((p) => p.seeder)).toBe(false);
    for (const p of peers) await expect(tracker.authorizeSignal('asker', p.peerId)).resolves.toBeUndefined();
  });

  it('whohas of a large swarm gives at most half its list to seeders while downloaders are left, at random', async () => {
    const { tracker } = setup({ random: seededRandom(11) });
    const f = await sample('big');
    await tracker.connect('asker', 'browser');
    for (let i = 0; i < 120; i++) {
      const p = `q${i}`;
      await tracker.connect(p, 'browser');
      await tracker.announce(p, { files: [{ id: f.id, manifest: f.manifest, have: i < 60 ? 3 : 1 }] });
    }
    const first = await tracker.whohas('asker', f.id);
    expect(first.peers).toHaveLength(MAX_WHOHAS_PEERS);
    expect(first.peers.filter((p) => p.seeder)).toHaveLength(MAX_WHOHAS_PEERS / 2);
    expect(first.peers.filter((p) => !p.seeder)).toHaveLength(MAX_WHOHAS_PEERS / 2);
    // A subset drawn afresh: another asker's list is another.
    await tracker.connect('asker2', 'browser');
    const second = await tracker.whohas('asker2', f.id);
    expect(second.peers.map((p) => p.peerId).sort()).not.toEqual(first.peers.map((p) => p.peerId).sort());
  });

  it('hello reports the options; signal checks run in order', async () => {
    const { tracker } = setup();
    await tracker.connect('a', 'browser');
    expect(tracker.hello('a')).toEqual({ peerId: 'a', kind: 'browser', iceServers: [], iceTransportPolicy: 'all', heartbeatMs: 300, expiryMs: 1000 });
    await expect(tracker.authorizeSignal('a', 'a')).rejects.toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    await expect(tracker.authorizeSignal('a', 'b')).rejects.toThrow(expect.objectContaining({ code: 'PEER_GONE' }));
    await tracker.connect('b', 'browser');
    await expect(tracker.authorizeSignal('a', 'b')).rejects.toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});

describe('Tracker sessions', () => {
  it('an announce begun by an older session of a peer does not join the new one', async () => {
    const { tracker } = setup();
    const f = await sample('session');
    await tracker.connect('a', 'browser');
    const pending = tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    await tracker.connect('a', 'browser'); // reloaded tab
    await pending;
    expect(await countsOf(tracker, f.id)).toEqual({ seeders: 0, leechers: 0 });
    await tracker.announce('a', { files: [{ id: f.id, have: 1 }] });
    expect(await countsOf(tracker, f.id)).toEqual({ seeders: 0, leechers: 1 });
  });
});

describe('Tracker announce, one id twice in a request', () => {
  it('indexes the manifest of the first entry even when only a later entry is accepted', async () => {
    const { store, tracker } = setup();
    const f = await sample('twice', 40_000); // 3 chunks
    await tracker.connect('a', 'browser');
    const r = await tracker.announce('a', {
      files: [
        { id: f.id, manifest: f.manifest, have: 9 },
        { id: f.id, have: 2 }
      ]
    });
    expect(r.accepted).toEqual([f.id]);
    expect(r.rejected).toHaveLength(1);
    expect(await store.getFile(f.id)).toMatchObject({ chunks: 3, announceCount: 1 });
    expect(await countsOf(tracker, f.id)).toEqual({ seeders: 0, leechers: 1 });
  });
});

describe('Tracker transfers and statistics', () => {
  it('counts reported bytes and completions', async () => {
    const { tracker } = setup();
    await tracker.connect('a', 'browser');
    expect(tracker.report('a', { up: 100, down: 2 ** 40, completed: 2 })).toEqual({});
    tracker.report('a', { up: 1, down: 0, completed: 0 });
    expect(tracker.stats.transfers).toEqual({ completed: 2, bytesUp: 101, bytesDown: 2 ** 40, reports: 2 });
  });

  it('counts a leecher re-announcing as seeder as a completed transfer, once with its report', async () => {
    const { tracker } = setup();
    const f = await sample('grow'); // 3 chunks
    const g = await sample('other');
    await tracker.connect('a', 'browser');
    await tracker.connect('b', 'node');
    await tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 0 }] });
    await tracker.announce('a', { files: [{ id: f.id, have: 2 }] });
    expect(tracker.stats.transfers.completed).toBe(0);
    await tracker.announce('a', { files: [{ id: f.id, have: 3 }] });
    expect(tracker.stats.transfers.completed).toBe(1);
    // Seeding again, or reporting the same download, adds nothing.
    await tracker.announce('a', { files: [{ id: f.id, have: 3 }] });
    tracker.report('a', { up: 0, down: 40_000, completed: 1 });
    expect(tracker.stats.transfers.completed).toBe(1);
    // A report before the promotion covers it too.
    tracker.report('a', { up: 0, down: 40_000, completed: 1 });
    expect(tracker.stats.transfers.completed).toBe(2);
    await tracker.announce('a', { files: [{ id: g.id, manifest: g.manifest, have: 1 }] });
    await tracker.announce('a', { files: [{ id: g.id, have: 3 }] });
    expect(tracker.stats.transfers.completed).toBe(2);
    // A peer that joins as a seeder completed nothing here; a node peer that only reports is counted.
    await tracker.announce('b', { files: [{ id: f.id, have: 3 }] });
    expect(tracker.stats.transfers.completed).toBe(2);
    tracker.report('b', { up: 0, down: 0, completed: 3 });
    expect(tracker.stats.transfers.completed).toBe(5);
  });

  it('records history points with gauges and the counts since the previous point, and prunes old ones', async () => {
    const clock = { t: 1_000 };
    const store = new MemoryIndexStore();
    const tracker = new Tracker({ store, sha256, now: () => clock.t }, { statsRetentionMs: 150_000 });
    const f = await sample('h', 40_000);
    await tracker.connect('a', 'browser');
    await tracker.connect('b', 'node');
    await tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    await tracker.search({ q: '', limit: 5, offset: 0 });
    tracker.report('b', { up: 5, down: 7, completed: 1 });
    clock.t = 60_000;
    expect(await tracker.recordHistory()).toEqual({
      time: 60_000,
      browserPeers: 1,
      nodePeers: 1,
      files: 1,
      swarms: 1,
      bytesAnnounced: 40_000,
      announces: 1,
      searches: 1,
      signals: 0,
      transfers: 1,
      bytesUp: 5,
      bytesDown: 7
    });
    clock.t = 120_000;
    tracker.report('b', { up: 1, down: 0, completed: 0 });
    expect(await tracker.recordHistory()).toMatchObject({ announces: 0, searches: 0, transfers: 0, bytesUp: 1, bytesDown: 0, files: 1 });
    clock.t = 200_000;
    await tracker.recordHistory();
    expect((await tracker.history(60)).map((p) => p.time)).toEqual([60_000, 120_000, 200_000].filter((t) => t >= 200_000 - 150_000));
    expect((await tracker.history(1)).map((p) => p.time)).toEqual([200_000]);
  });

  it('overview lists public files only, busiest first, and counts everything', async () => {
    const { tracker } = setup();
    const pub = await sample('<b>public<b>');
    const quiet = await sample('quiet');
    const hidden = await sample('hidden');
    await tracker.connect('a', 'browser');
    await tracker.connect('b', 'node');
    await tracker.announce('a', {
      files: [
        { id: pub.id, manifest: pub.manifest, have: 3 },
        { id: quiet.id, manifest: quiet.manifest, have: 1 },
        { id: hidden.id, manifest: hidden.manifest, have: 3, visibility: 'unlisted' }
      ]
    });
    await tracker.announce('b', { files: [{ id: pub.id, have: 1 }, { id: hidden.id, have: 3 }] });
    const o = await tracker.overview();
    expect(o.peers).toEqual({ total: 2, browser: 1, node: 1 });
    expect(o.files).toEqual({ indexed: 3, active: 3, bytesAnnounced: 120_000 });
    expect(o.swarms).toEqual({ active: 3, seeders: 3, leechers: 2 });
    expect(o.topFiles).toEqual([
      { id: pub.id, name: '<b>public<b>', size: 40_000, seeders: 1, leechers: 1 },
      { id: quiet.id, name: 'quiet', size: 40_000, seeders: 0, leechers: 1 }
    ]);
    expect(JSON.stringify(o)).not.toContain(hidden.id);
    expect(o.peerList.map((p) => [p.peerId, p.files])).toEqual([
      ['a', 3],
      ['b', 2]
    ]);
  });
});
