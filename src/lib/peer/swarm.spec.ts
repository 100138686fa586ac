import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sha256 } from '../core/manifest.ts';
import { seededRandom } from '../core/prng.ts';
import { decodeMessage, encodeMessage, RejectReason, WHOLE_FILE, type WireMessage } from '../core/wire.ts';
import type { Download } from './download.ts';
import { PeerEngine } from './engine.ts';
import { MemoryNetwork } from './memory-network.ts';
import { MemoryChunkStore } from './memory-store.ts';
import type { Wire } from './ports.ts';
import { shareBytes } from './share-bytes.ts';
import { finished, readAll } from './test-kit.ts';

const sha256: Sha256 = async (b) => new Uint8Array(createHash('sha256').update(b).digest());
const CHUNK = 16 * 1024;

let engines: PeerEngine[] = [];
afterEach(() => {
  for (const e of engines) e.stop();
  engines = [];
});

function engine(net: MemoryNetwork, peerId: string, store: MemoryChunkStore, opts: { uploadSlots?: number; superSeed?: boolean } = {}): PeerEngine {
  const e = new PeerEngine({ peerId, store, directory: net.directory(peerId), connector: net.connector(peerId), sha256, random: seededRandom(peerId.length), ...opts });
  engines.push(e);
  return e;
}

/** A store holding only the given chunks of a file (a peer part-way through its download). */
async function partialStore(bytes: Uint8Array, chunks: number[]): Promise<{ store: MemoryChunkStore; id: string }> {
  const full = new MemoryChunkStore();
  const file = await shareBytes(full, { name: 'data.bin', bytes, chunkSize: CHUNK }, sha256);
  const store = new MemoryChunkStore();
  await store.putFile({ id: file.id, manifest: file.manifest, role: 'download', visibility: 'public', addedAt: 0 });
  for (const c of chunks) await store.putChunk(file.id, c, (await full.getChunk(file.id, c))!);
  return { store, id: file.id };
}

/** A scripted peer on a raw wire: it speaks the protocol by hand, as a version-1 peer would. */
async function rawPeer(net: MemoryNetwork, peerId: string, to: string) {
  const wire: Wire = await net.connector(peerId).connect(to);
  const got: WireMessage[] = [];
  const waiters: (() => void)[] = [];
  wire.onMessage((b) => {
    const m = decodeMessage(b);
    got.push(m.type === 'data' ? { ...m, bytes: new Uint8Array(m.bytes) } : m.type === 'have' ? { ...m, bitfield: new Uint8Array(m.bitfield) } : m);
    for (const w of waiters.splice(0)) w();
  });
  wire.send(encodeMessage({ type: 'hello', version: 1, peerId, maxMessage: wire.maxMessageSize }));
  return {
    wire,
    got,
    send: (m: WireMessage) => wire.send(encodeMessage(m)),
    /** Waits until a message matching `pred` has arrived (at or after index `from`). */
    async until(pred: (m: WireMessage) => boolean, from = 0): Promise<number> {
      for (;;) {
        const i = got.findIndex((m, k) => k >= from && pred(m));
        if (i >= 0) return i;
        await new Promise<void>((r) => waiters.push(r));
      }
    }
  };
}

describe('swarming over the in-memory network', () => {
  it('downloaders trade chunks while downloading: each gets the half it lacks from the other downloader', async () => {
    // half1 holds chunks 0-7, half2 chunks 8-15; a reaches only half1 and b, b only half2 and a.
    // So every chunk of 8-15 that a stores came from b (and 0-7 of b's from a) while both download.
    const links = new Set(['a-half1', 'b-half2', 'a-b']);
    const reachable = (x: string, y: string) => links.has(`${x}-${y}`) || links.has(`${y}-${x}`);
    const net = new MemoryNetwork({ reachable });
    const bytes = randomBytes(CHUNK * 16);
    const lo = Array.from({ length: 8 }, (_, i) => i);
    const hi = lo.map((i) => i + 8);
    const h1 = await partialStore(bytes, lo);
    const h2 = await partialStore(bytes, hi);
    await engine(net, 'half1', h1.store).start();
    await engine(net, 'half2', h2.store).start();
    const stores = { a: new MemoryChunkStore(), b: new MemoryChunkStore() };
    const a = engine(net, 'a', stores.a);
    const b = engine(net, 'b', stores.b);
    await a.start();
    await b.start();
    const [da, db] = await Promise.all([a.download(h1.id), b.download(h1.id)]);
    const from = { a: new Map<string, number>(), b: new Map<string, number>() };
    da.on('progress', (s) => s.peers.forEach((p) => from.a.set(p.peerId, p.bytes)));
    db.on('progress', (s) => s.peers.forEach((p) => from.b.set(p.peerId, p.bytes)));
    await Promise.all([finished(da), finished(db)]);
    expect((await readAll(stores.a, h1.id)).equals(bytes)).toBe(true);
    expect((await readAll(stores.b, h1.id)).equals(bytes)).toBe(true);
    expect(from.a.get('b')).toBe(8 * CHUNK);
    expect(from.b.get('a')).toBe(8 * CHUNK);
  });

  it('registers a dialled session whose hello arrived before the session existed (memory wires deliver it at once)', async () => {
    const net = new MemoryNetwork();
    const store = new MemoryChunkStore();
    const file = await shareBytes(store, { name: 'data.bin', bytes: randomBytes(CHUNK * 2), chunkSize: CHUNK }, sha256);
    await engine(net, 'seeder', store).start();
    const leecher = engine(net, 'leecher', new MemoryChunkStore());
    await leecher.start();
    await finished(await leecher.download(file.id));
    // The leecher dialled the seeder: that session is in its list (it was missing before).
    expect(leecher.sessionList().map((s) => s.peerId)).toEqual(['seeder']);
  });

  it('a seeder with one slot chokes a second downloader with reject(WHOLE_FILE, busy) and unchokes it with a have when the slot frees (PROTOCOL.md §11)', async () => {
    const net = new MemoryNetwork();
    const bytes = new TextEncoder().encode('hello shoal\n');
    const store = new MemoryChunkStore();
    const file = await shareBytes(store, { name: 'hello.txt', bytes }, sha256);
    // No regular slot: only the optimistic one, so one peer at a time.
    const seeder = engine(net, 'seeder', store, { uploadSlots: 0 });
    await seeder.start();
    const none = { type: 'have' as const, id: file.id, count: 1, bitfield: new Uint8Array([0]) };
    const isHave = (m: WireMessage) => m.type === 'have' && m.id === file.id;
    const isChoke = (m: WireMessage) => m.type === 'reject' && m.chunk === WHOLE_FILE && m.reason === RejectReason.busy;

    const first = await rawPeer(net, 'first', 'seeder');
    first.send(none);
    await first.until(isHave);
    expect(seeder.unchokedPeers(file.id)).toEqual(['first']);

    const second = await rawPeer(net, 'second', 'seeder');
    second.send(none);
    const answer = await second.until(isHave);
    const choke = await second.until(isChoke, answer + 1);
    expect(choke).toBeGreaterThan(answer);
    // A request that crosses the choke is refused as busy, per chunk.
    second.send({ type: 'request', id: file.id, chunk: 0 });
    const busy = await second.until((m) => m.type === 'reject' && m.chunk === 0, choke + 1);
    expect(second.got[busy]).toMatchObject({ reason: RejectReason.busy });

    // The first leaves: its slot goes to the second at once, with a have.
    first.wire.close('done');
    const unchoke = await second.until(isHave, busy + 1);
    expect(second.got[unchoke]).toMatchObject({ bitfield: new Uint8Array([0x80]) });
    expect(seeder.unchokedPeers(file.id)).toEqual(['second']);
    second.send({ type: 'request', id: file.id, chunk: 0 });
    const data = await second.until((m) => m.type === 'data', unchoke + 1);
    expect(second.got[data]).toMatchObject({ type: 'data', chunk: 0, offset: 0, bytes: new Uint8Array(bytes) });
  });

  it('a downloader choked by every seeder asks nothing of them, and completes once a slot frees', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 6);
    const store = new MemoryChunkStore();
    const file = await shareBytes(store, { name: 'data.bin', bytes, chunkSize: CHUNK }, sha256);
    const seeder = engine(net, 'seeder', store, { uploadSlots: 0 });
    await seeder.start();
    // A scripted peer takes the only slot and asks for nothing.
    const hog = await rawPeer(net, 'hog', 'seeder');
    hog.send({ type: 'have', id: file.id, count: 6, bitfield: new Uint8Array([0]) });
    await hog.until((m) => m.type === 'have');
    const ls = new MemoryChunkStore();
    const leecher = engine(net, 'leecher', ls);
    await leecher.start();
    const d = await leecher.download(file.id);
    await new Promise<void>((resolve) => {
      const check = (s: ReturnType<Download['status']>) => s.state === 'waiting' && /choked/.test(s.reason) && resolve();
      check(d.status());
      d.on('progress', check);
    });
    expect(d.status().have).toBe(0);
    // Choked is not misbehaviour: no refusal is held against the seeder.
    expect(leecher.reputation.get('seeder')?.counts.refused ?? 0).toBe(0);
    hog.wire.close('gone');
    await finished(d);
    expect((await readAll(ls, file.id)).equals(bytes)).toBe(true);
  });

  it('a super-seeder hands out each chunk once; the downloaders get every other copy from each other', async () => {
    const net = new MemoryNetwork();
    const bytes = randomBytes(CHUNK * 12 + 5);
    const store = new MemoryChunkStore();
    const file = await shareBytes(store, { name: 'data.bin', bytes, chunkSize: CHUNK }, sha256);
    const seeder = engine(net, 'seeder', store, { superSeed: true });
    await seeder.start();
    const leechers = ['l1', 'l2', 'l3'].map((id) => ({ id, store: new MemoryChunkStore(), engine: null as PeerEngine | null }));
    for (const l of leechers) {
      l.engine = engine(net, l.id, l.store);
      await l.engine.start();
    }
    const downloads = await Promise.all(leechers.map((l) => l.engine!.download(file.id)));
    await Promise.all(downloads.map(finished));
    for (const l of leechers) expect((await readAll(l.store, file.id)).equals(bytes)).toBe(true);
    // One copy from the seeder, in all; the other two copies moved between downloaders.
    expect(seeder.stats().uploadedByFile[file.id]).toBe(bytes.length);
    const fromPeers = leechers.reduce((n, l) => n + (l.engine!.stats().uploadedByFile[file.id] ?? 0), 0);
    expect(fromPeers).toBeGreaterThanOrEqual(2 * bytes.length);
  });
});
