import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkCount } from '../core/chunks.ts';
import { computeContentId, createManifest, type Sha256 } from '../core/manifest.ts';
import { MAX_WHOHAS_PEERS } from './constants.ts';
import { MemoryIndexStore } from './memory-store.ts';
import { Tracker } from './tracker.ts';

const sha256: Sha256 = async (b) => new Uint8Array(createHash('sha256').update(b).digest());

async function sample(name: string, size = 40_000) {
  const chunkHashes = Array.from({ length: chunkCount(size, 16384) }, () => randomBytes(32).toString('hex'));
  const manifest = createManifest({ name, size, mimeType: '', chunkSize: 16384, chunkHashes });
  return { id: await computeContentId(manifest, sha256), manifest };
}

function setup(opts: { expiryMs?: number } = {}) {
  const clock = { t: 1_000 };
  const store = new MemoryIndexStore();
  const tracker = new Tracker({ store, sha256, now: () => clock.t }, { expiryMs: opts.expiryMs ?? 1000, heartbeatMs: 300 });
  return { clock, store, tracker };
}

describe('Tracker', () => {
  it('sweep removes silent peers from their swarms and reports them', async () => {
    const { clock, tracker } = setup();
    const f = await sample('x');
    tracker.connect('a', 'browser');
    tracker.connect('b', 'browser');
    await tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    clock.t += 600;
    tracker.touch('b');
    clock.t += 600;
    expect(tracker.sweep()).toEqual(['a']);
    expect(tracker.registry.swarmCounts(f.id)).toEqual({ seeders: 0, leechers: 0 });
    expect(tracker.stats.connections.expired).toBe(1);
    expect(tracker.sweep()).toEqual([]);
    const hit = (await tracker.search({ q: 'x', limit: 5, offset: 0 })).results[0];
    expect(hit.lastSeen).toBe(clock.t);
  });

  it('does not put a peer that left during the announce into a swarm, but indexes the file', async () => {
    const { store, tracker } = setup();
    const f = await sample('y');
    tracker.connect('a', 'node');
    const pending = tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    tracker.disconnect('a');
    expect((await pending).accepted).toEqual([f.id]);
    expect(tracker.registry.swarmCounts(f.id)).toEqual({ seeders: 0, leechers: 0 });
    expect(await store.getFile(f.id)).toBeDefined();
  });

  it(`whohas lists at most ${MAX_WHOHAS_PEERS} peers, seeders first, and permits signalling them`, async () => {
    const { tracker } = setup();
    const f = await sample('z');
    tracker.connect('asker', 'browser');
    for (let i = 0; i < 60; i++) {
      const p = `p${i}`;
      tracker.connect(p, 'browser');
      await tracker.announce(p, { files: [{ id: f.id, manifest: f.manifest, have: i < 5 ? 3 : 1 }] });
    }
    const { peers } = await tracker.whohas('asker', f.id);
    expect(peers).toHaveLength(MAX_WHOHAS_PEERS);
    expect(peers.slice(0, 5).every((p) => p.seeder)).toBe(true);
    expect(peers.slice(5).some((p) => p.seeder)).toBe(false);
    for (const p of peers) expect(() => tracker.authorizeSignal('asker', p.peerId)).not.toThrow();
  });

  it('hello reports the options; signal checks run in order', async () => {
    const { tracker } = setup();
    tracker.connect('a', 'browser');
    expect(tracker.hello('a')).toEqual({ peerId: 'a', kind: 'browser', iceServers: [], heartbeatMs: 300, expiryMs: 1000 });
    expect(() => tracker.authorizeSignal('a', 'a')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => tracker.authorizeSignal('a', 'b')).toThrow(expect.objectContaining({ code: 'PEER_GONE' }));
    tracker.connect('b', 'browser');
    expect(() => tracker.authorizeSignal('a', 'b')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});

describe('Tracker sessions', () => {
  it('an announce begun by an older session of a peer does not join the new one', async () => {
    const { tracker } = setup();
    const f = await sample('session');
    tracker.connect('a', 'browser');
    const pending = tracker.announce('a', { files: [{ id: f.id, manifest: f.manifest, have: 3 }] });
    tracker.connect('a', 'browser'); // reloaded tab
    await pending;
    expect(tracker.registry.swarmCounts(f.id)).toEqual({ seeders: 0, leechers: 0 });
    await tracker.announce('a', { files: [{ id: f.id, have: 1 }] });
    expect(tracker.registry.swarmCounts(f.id)).toEqual({ seeders: 0, leechers: 1 });
  });
});

describe('Tracker announce, one id twice in a request', () => {
  it('indexes the manifest of the first entry even when only a later entry is accepted', async () => {
    const { store, tracker } = setup();
    const f = await sample('twice', 40_000); // 3 chunks
    tracker.connect('a', 'browser');
    const r = await tracker.announce('a', {
      files: [
        { id: f.id, manifest: f.manifest, have: 9 },
        { id: f.id, have: 2 }
      ]
    });
    expect(r.accepted).toEqual([f.id]);
    expect(r.rejected).toHaveLength(1);
    expect(await store.getFile(f.id)).toMatchObject({ chunks: 3, announceCount: 1 });
    expect(tracker.registry.swarmCounts(f.id)).toEqual({ seeders: 0, leechers: 1 });
  });
});
