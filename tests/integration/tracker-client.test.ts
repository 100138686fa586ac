import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrackerClient, type Timers } from '../../src/lib/peer/tracker-client.ts';
import { ABUSE_THRESHOLD, RATE_LIMITS } from '../../src/lib/tracker/constants.ts';
import { makeManifest, peerIdOf, randomToken, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let tracker: TestTracker | null = null;
const clients: TrackerClient[] = [];
const dirs: string[] = [];

function client(url: string, token = randomToken(), timers?: Timers): TrackerClient {
  const c = new TrackerClient({ url, token, kind: 'browser', ackTimeoutMs: 5000, timers });
  clients.push(c);
  return c;
}

/** Timers that fire only when the test says: `pending` holds what is scheduled. */
function manualTimers(): Timers & { pending: Map<number, () => void>; runAll(): void } {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    pending,
    setTimeout: (fn) => {
      pending.set(++next, fn);
      return next;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
    runAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const fn of due) fn();
    }
  };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await tracker?.close();
  tracker = null;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('TrackerClient against a real tracker', () => {
  it('greets, announces, finds peers and the manifest, and maps errors to codes', async () => {
    tracker = await startTestTracker();
    const token = randomToken();
    const a = client(tracker.url, token);
    const b = client(tracker.url);
    const info = await a.ready();
    expect(info.peerId).toBe(peerIdOf(token));
    await b.ready();
    const { id, manifest } = await makeManifest('notes.txt');
    await a.announce([{ id, manifest, have: manifest.chunkHashes.length }]);
    const peers = await b.whoHas(id);
    expect(peers).toEqual([expect.objectContaining({ peerId: info.peerId, seeder: true })]);
    expect(await b.manifest(id)).toEqual(manifest);
    await expect(b.manifest('0'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(b.whoHas('nope')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('turns an answer without a known code into BAD_RESPONSE, and keeps a known one', async () => {
    const http = createServer();
    const io = new Server(http);
    let answer: unknown = { ok: false, code: 'NOT_A_CODE', message: 'nope' };
    io.on('connection', (s) => s.on('hello', (_payload: unknown, ack: (a: unknown) => void) => ack(answer)));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const c = client(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
      // The client greets by itself on connecting; that first answer fails it too.
      const refused = await new Promise<string>((r) => c.on('disconnected', r));
      expect(refused).toMatch(/no known code \("NOT_A_CODE"\): nope/);
      await expect(c.request('hello', {})).rejects.toMatchObject({ name: 'TrackerError', code: 'BAD_RESPONSE' });
      answer = { ok: false };
      await expect(c.request('hello', {})).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('(null): hello failed.') });
      answer = { ok: false, code: 'RATE_LIMITED', message: 'slow down' };
      await expect(c.request('hello', {})).rejects.toMatchObject({ code: 'RATE_LIMITED', message: 'slow down' });
    } finally {
      for (const c of clients.splice(0)) c.close();
      await io.close();
    }
  });

  it('relays signals with the sender stamped', async () => {
    tracker = await startTestTracker();
    const a = client(tracker.url);
    const b = client(tracker.url);
    const [ia, ib] = await Promise.all([a.ready(), b.ready()]);
    const { id, manifest } = await makeManifest('x.bin');
    await a.announce([{ id, manifest, have: manifest.chunkHashes.length }]);
    await b.whoHas(id);
    const got = new Promise<[string, unknown]>((resolve) => a.on('signal', (from, data) => resolve([from, data])));
    await b.signal(ia.peerId, { hello: 1 });
    expect(await got).toEqual([ib.peerId, { hello: 1 }]);
  });

  it('comes back by itself after a tracker restart, re-greets and can re-announce', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shoal-client-'));
    dirs.push(dataDir);
    tracker = await startTestTracker({ dataDir });
    const { port } = tracker;
    const a = client(tracker.url);
    const first = await a.ready();
    const { id, manifest } = await makeManifest('kept.bin');
    let greetings = 0;
    a.on('connected', () => {
      greetings++;
      void a.announce([{ id, manifest, have: manifest.chunkHashes.length }]);
    });
    await tracker.close(); // bye SHUTDOWN, then the port is free
    tracker = await startTestTracker({ port, dataDir });
    await vi.waitFor(() => expect(greetings).toBe(1), 15_000);
    expect(a.info?.peerId).toBe(first.peerId);
    const b = client(tracker.url);
    await b.ready();
    await expect.poll(async () => (await b.whoHas(id)).length, { timeout: 5000 }).toBe(1);
  });

  it('stays offline when the same peer connects again elsewhere', async () => {
    tracker = await startTestTracker();
    const token = randomToken();
    const timers = manualTimers();
    const a = client(tracker.url, token, timers);
    await a.ready();
    const replaced = new Promise<void>((resolve) => a.on('replaced', () => resolve()));
    const b = client(tracker.url, token);
    await b.ready();
    await replaced;
    // The reconnect decision is taken in the same handler that says 'replaced': no reconnect was
    // scheduled (socket.io itself never reconnects after the server closed the connection).
    expect(timers.pending.size).toBe(0);
    expect(a.connected).toBe(false);
    // A round trip through the tracker after that: b is still the one connected.
    await b.search('');
    expect(b.connected).toBe(true);
    expect(a.connected).toBe(false);
  });

  it('reconnects on its timers when the tracker closed the connection for another reason', async () => {
    // On a clock that stands still no token comes back: the burst of searches passes and the
    // next ABUSE_THRESHOLD are refused, the last of which makes the tracker say bye (ABUSE).
    const frozen = Date.now();
    tracker = await startTestTracker({ now: () => frozen });
    const timers = manualTimers();
    const a = client(tracker.url, randomToken(), timers);
    await a.ready();
    const cut = new Promise<string>((resolve) => a.on('disconnected', resolve));
    for (let i = 0; i < RATE_LIMITS.search.burst + ABUSE_THRESHOLD; i++) void a.search('x').catch(() => undefined);
    expect(await cut).toBe('io server disconnect (ABUSE)');
    // The client waits on its timers before reconnecting; once the wait is over it is back.
    expect(timers.pending.size).toBe(1);
    expect(a.connected).toBe(false);
    const back = a.ready();
    timers.runAll();
    await back;
    expect(a.connected).toBe(true);
  });
});
