import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sha256 } from '../core/manifest.ts';
import { PeerEngine } from './engine.ts';
import { MemoryChunkStore } from './memory-store.ts';
import { MemoryNetwork } from './memory-network.ts';
import { PEER_REFRESH_MS } from './constants.ts';
import type { Download } from './download.ts';
import { shareBytes } from './share-bytes.ts';
import { finished, readAll } from './test-kit.ts';

const sha256: Sha256 = async (b) => new Uint8Array(createHash('sha256').update(b).digest());
const CHUNK = 16 * 1024;

let engines: PeerEngine[] = [];
afterEach(() => {
  for (const e of engines) e.stop();
  engines = [];
  vi.useRealTimers();
});

function peer(net: MemoryNetwork, peerId: string, store = new MemoryChunkStore()) {
  const engine = new PeerEngine({ peerId, store, directory: net.directory(peerId), connector: net.connector(peerId), sha256 });
  engines.push(engine);
  return { engine, store };
}

async function seed(net: MemoryNetwork, peerId: string, bytes: Uint8Array, store = new MemoryChunkStore()) {
  const p = peer(net, peerId, store);
  const file = await shareBytes(store, { name: 'data.bin', bytes, chunkSize: CHUNK }, sha256);
  await p.engine.start();
  return { ...p, id: file.id };
}

describe('PeerEngine over an in-memory network', () => {
  it('downloads a file from one seeder, verifies it and then seeds it', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 5 + 123);
    const a = await seed(net, 'seeder', bytes);
    const b = peer(net, 'leecher');
    await b.engine.start();
    const d = await b.engine.download(a.id);
    await finished(d);
    expect((await readAll(b.store, a.id)).equals(bytes)).toBe(true);
    expect(b.engine.file(a.id)?.have.complete).toBe(true);
    // The finished leecher now serves a third peer on its own.
    a.engine.stop();
    net.remove('seeder');
    const c = peer(net, 'third');
    await c.engine.start();
    await finished(await c.engine.download(a.id));
    expect((await readAll(c.store, a.id)).equals(bytes)).toBe(true);
  });

  it('uses two seeders at once', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 40);
    const a = await seed(net, 'seed-a', bytes);
    const b = await seed(net, 'seed-b', bytes);
    // Neither seeder serves a chunk until both have been asked for one, so the result cannot
    // depend on which connection opens first: a download that used only one would never finish.
    const asked = new Set<string>();
    let bothAsked!: () => void;
    const barrier = new Promise<void>((resolve) => (bothAsked = resolve));
    for (const [name, s] of [['seed-a', a], ['seed-b', b]] as const) {
      const read = s.engine.readChunk.bind(s.engine);
      s.engine.readChunk = async (id, chunk) => {
        asked.add(name);
        if (asked.size === 2) bothAsked();
        await barrier;
        return read(id, chunk);
      };
    }
    const c = peer(net, 'leecher');
    await c.engine.start();
    const d = await c.engine.download(a.id);
    const bytesFrom = new Map<string, number>();
    d.on('progress', (s) => s.peers.forEach((p) => bytesFrom.set(p.peerId, p.bytes)));
    await finished(d);
    expect((await readAll(c.store, a.id)).equals(bytes)).toBe(true);
    expect(bytesFrom.get('seed-a')).toBeGreaterThan(0);
    expect(bytesFrom.get('seed-b')).toBeGreaterThan(0);
  });

  it('detects a seeder serving corrupt chunks, drops it and still gets the file intact', async () => {
    // The liar is the only seeder until it has been caught; then the honest one joins. (With both
    // online at once, the honest one could serve every chunk before the liar was asked.)
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 30);
    const evilStore = new MemoryChunkStore();
    const evil = await seed(net, 'evil', bytes, evilStore);
    const realGet = evilStore.getChunk.bind(evilStore);
    evilStore.getChunk = async (id, i) => {
      const c = await realGet(id, i);
      if (!c) return c;
      const bad = new Uint8Array(c);
      bad[0] ^= 0xff;
      return bad;
    };
    // The leecher's clock moves only when the test says (it decides when peers are looked for).
    let clock = Date.now();
    const store = new MemoryChunkStore();
    const leecher = new PeerEngine({ peerId: 'leecher', store, directory: net.directory('leecher'), connector: net.connector('leecher'), sha256, now: () => clock });
    engines.push(leecher);
    await leecher.start();
    const warnings: string[] = [];
    leecher.on('warning', (p, code) => warnings.push(`${p}:${code}`));
    const d = await leecher.download(evil.id);
    const dropped = new Promise<void>((resolve) => leecher.on('warning', (p, code) => p === 'evil' && code === 'PEER_DROPPED' && resolve()));
    await dropped;
    expect(warnings).toContain('evil:CHUNK_HASH_MISMATCH');
    expect(d.status().have).toBe(0);
    await seed(net, 'good', bytes);
    clock += PEER_REFRESH_MS; // the next tick asks the directory again and finds the honest seeder
    await finished(d);
    expect((await readAll(store, evil.id)).equals(bytes)).toBe(true);
    expect(leecher.reputation.isBad('evil')).toBe(true);
    expect(leecher.reputation.score('good')).toBeGreaterThan(0);
    expect(leecher.reputation.get('evil')!.counts.corrupt).toBeGreaterThanOrEqual(2);
  });

  it('keeps reputation across restarts and never asks a peer it distrusts', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 12);
    const a = await seed(net, 'trusted', bytes);
    await seed(net, 'distrusted', bytes);
    let saved: unknown[] = [];
    const reputationStore = { load: async () => saved, save: async (r: unknown[]) => void (saved = JSON.parse(JSON.stringify(r))) };
    const first = new PeerEngine({ peerId: 'me', store: new MemoryChunkStore(), directory: net.directory('me'), connector: net.connector('me'), sha256, reputationStore });
    await first.start();
    first.reputation.record('distrusted', 'corrupt');
    first.reputation.record('distrusted', 'corrupt');
    first.stop(); // saves the book
    await vi.waitFor(() => expect(saved).toHaveLength(1));
    const store = new MemoryChunkStore();
    const second = new PeerEngine({ peerId: 'me2', store, directory: net.directory('me2'), connector: net.connector('me2'), sha256, reputationStore });
    engines.push(second);
    await second.start();
    expect(second.reputation.isBad('distrusted')).toBe(true);
    const d = await second.download(a.id);
    const from = new Set<string>();
    d.on('progress', (s) => s.peers.forEach((p) => from.add(p.peerId)));
    await finished(d);
    expect(from.has('trusted')).toBe(true);
    expect(from.has('distrusted')).toBe(false);
    expect(second.reputation.score('trusted')).toBeGreaterThan(0);
  });

  it('goes on with the remaining seeder when one vanishes mid-download', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 60);
    const a = await seed(net, 'stays', bytes);
    const gone = await seed(net, 'leaves', bytes);
    // 'stays' holds its answers until 'leaves' is gone: the first chunks can only come from
    // 'leaves', so it is certainly cut mid-download, while 'stays' has requests waiting.
    let cutDone!: () => void;
    const afterCut = new Promise<void>((resolve) => (cutDone = resolve));
    const read = a.engine.readChunk.bind(a.engine);
    a.engine.readChunk = async (id, chunk) => {
      await afterCut;
      return read(id, chunk);
    };
    const c = peer(net, 'leecher');
    await c.engine.start();
    const d = await c.engine.download(a.id);
    let cut = false;
    d.on('progress', (s) => {
      if (!cut && s.have >= 5 && s.peers.some((p) => p.peerId === 'leaves')) {
        cut = true;
        gone.engine.stop();
        net.remove('leaves');
        cutDone();
      }
    });
    await finished(d);
    expect(cut).toBe(true);
    expect((await readAll(c.store, a.id)).equals(bytes)).toBe(true);
  });

  it('counts chunks whose writes finish after a later write failed, and resumes without them', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 24);
    const a = await seed(net, 'seeder', bytes);
    // The first three writes are slow; the fourth fails at once with a quota error while they are pending.
    let release!: () => void;
    const slowWrites = new Promise<void>((resolve) => (release = resolve));
    class FullStore extends MemoryChunkStore {
      writes = 0;
      full = true;
      override async putChunk(id: string, index: number, chunk: Uint8Array): Promise<void> {
        if (!this.full) return super.putChunk(id, index, chunk);
        const n = ++this.writes;
        if (n > 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        await slowWrites; // held until the download has failed
        return super.putChunk(id, index, chunk);
      }
    }
    const store = new FullStore();
    const b = peer(net, 'leecher', store);
    await b.engine.start();
    const d = await b.engine.download(a.id);
    await expect(finished(d)).rejects.toThrow(/Storage is full/);
    expect(d.status().have).toBe(0);
    release(); // the slow writes land after the failure, and are counted
    await vi.waitFor(() => expect(d.status().have).toBe(3));
    const stored = (await store.getFile(a.id))!.have.count;
    expect(stored).toBe(3);
    expect(b.engine.file(a.id)?.have.count).toBe(3);
    // Space freed: a restarted engine resumes from the three stored chunks and fetches only the rest.
    b.engine.stop();
    store.full = false;
    const fetched = new Set<number>();
    const put = store.putChunk.bind(store);
    store.putChunk = async (id, index, chunk) => {
      fetched.add(index);
      return put(id, index, chunk);
    };
    const again = new PeerEngine({ peerId: 'leecher', store, directory: net.directory('leecher'), connector: net.connector('leecher'), sha256 });
    engines.push(again);
    await again.start();
    const d2 = again.getDownload(a.id) ?? (await again.download(a.id));
    await finished(d2);
    expect(fetched.size).toBe(21);
    expect((await readAll(store, a.id)).equals(bytes)).toBe(true);
  });

  it('does not count queueing at a busy, upload-limited seeder as timeouts, but does time out one that stalls', async () => {
    // Fake timers: every clock and timer here (upload pacing, download ticks) runs on virtual time
    // that the test advances, so nothing depends on the machine's speed. The leecher's clock runs
    // 50 times faster than that: its 20 s request timeout is 0.4 s of the seeder's pacing.
    vi.useFakeTimers();
    const start = Date.now();
    const fast = () => start + (Date.now() - start) * 50;
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 12);
    // 80 KiB/s: a 16 KiB chunk every 0.2 s real (10 s on the leecher's clock), so the fourth
    // request of a pipeline waits 30 s of its clock while the seeder sends all along.
    const slowStore = new MemoryChunkStore();
    const file = await shareBytes(slowStore, { name: 'data.bin', bytes, chunkSize: CHUNK }, sha256);
    const slow = new PeerEngine({ peerId: 'slow', store: slowStore, directory: net.directory('slow'), connector: net.connector('slow'), sha256, uploadLimit: 80 * 1024 });
    engines.push(slow);
    await slow.start();
    const leecher = new PeerEngine({ peerId: 'leecher', store: new MemoryChunkStore(), directory: net.directory('leecher'), connector: net.connector('leecher'), sha256, now: fast });
    engines.push(leecher);
    await leecher.start();
    const warnings: string[] = [];
    const d = await leecher.download(file.id);
    d.on('warning', (_peer: string, code: string) => warnings.push(code));
    const fetched = finished(d);
    await vi.advanceTimersByTimeAsync(10_000); // 192 KiB at 80 KiB/s: done after about 2.4 s
    await fetched;
    expect(warnings).not.toContain('TIMEOUT');
    expect(leecher.reputation.get('slow')?.counts.timeout ?? 0).toBe(0);

    // A seeder that stops answering (its reads never finish) is timed out; the file then comes
    // from a seeder that appears later.
    for (const [e, id] of [[slow, 'slow'], [leecher, 'leecher']] as const) {
      e.stop();
      net.remove(id);
    }
    const stuck = await seed(net, 'stuck', bytes);
    stuck.engine.readChunk = () => new Promise(() => undefined);
    const otherStore = new MemoryChunkStore();
    const other = new PeerEngine({ peerId: 'other', store: otherStore, directory: net.directory('other'), connector: net.connector('other'), sha256, now: fast });
    engines.push(other);
    await other.start();
    const d2 = await other.download(file.id);
    const timedOut = new Promise<void>((resolve) => d2.on('warning', (peer: string, code: string) => peer === 'stuck' && code === 'TIMEOUT' && resolve()));
    await vi.advanceTimersByTimeAsync(2_000); // 100 s on its clock, well past the 20 s timeout
    await timedOut;
    expect(other.reputation.get('stuck')?.counts.timeout).toBeGreaterThan(0);
    await seed(net, 'late', bytes);
    const fetchedLate = finished(d2);
    await vi.advanceTimersByTimeAsync(2_000); // the next directory refresh finds 'late'
    await fetchedLate;
    expect((await readAll(otherStore, file.id)).equals(bytes)).toBe(true);
  });

  it('refuses a manifest that does not match the id', async () => {
    const net = new MemoryNetwork();
    const a = await seed(net, 'seeder', randomBytes(CHUNK * 2));
    const other = await seed(net, 'other', randomBytes(CHUNK * 3));
    // A lying directory answers with the manifest of another file.
    const b = peer(net, 'leecher');
    const lying = net.directory('leecher');
    const realManifest = lying.manifest;
    lying.manifest = async () => realManifest(other.id);
    const engine = new PeerEngine({ peerId: 'leecher2', store: new MemoryChunkStore(), directory: lying, connector: net.connector('leecher2'), sha256 });
    engines.push(engine);
    await expect(engine.download(a.id)).rejects.toMatchObject({ code: 'MANIFEST_MISMATCH' });
    await expect(b.engine.download('f'.repeat(64))).rejects.toThrow(/Unknown content id/);
  });
});
