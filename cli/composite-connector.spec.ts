import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeMessage, type WireMessage } from '../src/lib/core/wire.ts';
import { REQUEST_TIMEOUT_MS } from '../src/lib/peer/constants.ts';
import { memoryWirePair } from '../src/lib/peer/memory-wire.ts';
import type { Connector, Wire } from '../src/lib/peer/ports.ts';
import { CompositeConnector } from './composite-connector.ts';
import { Counters } from './counters.ts';

const ID = 'ab'.repeat(32);
const bytes = (m: WireMessage) => encodeMessage(m);
const HELLO = (peerId: string) => bytes({ type: 'hello', version: 1, peerId, maxMessage: 66560 });
const HAVE = bytes({ type: 'have', id: ID, count: 1, bitfield: Uint8Array.of(0) });
const REQUEST = bytes({ type: 'request', id: ID, chunk: 0 });

/** A connector whose incoming connections the test makes, over in-memory wires. */
class FakeConnector implements Connector {
  #incoming: (peerId: string, wire: Wire) => void = () => {};
  connect(): Promise<Wire> {
    return Promise.resolve(memoryWirePair()[0]);
  }
  onIncoming(fn: (peerId: string, wire: Wire) => void): void {
    this.#incoming = fn;
  }
  close(): void {}
  /** A remote peer connects: returns its end of the wire. `drain` replaces our end's. */
  dialIn(peerId: string, drain?: () => Promise<void>): Wire {
    const [local, remote] = memoryWirePair();
    if (drain) local.drain = drain;
    this.#incoming(peerId, local);
    return remote;
  }
}

interface Peer {
  remote: Wire;
  closed: string | null;
}

function setup(maxPeers: number, idleTimeoutMs = 0) {
  const fake = new FakeConnector();
  const counters = new Counters();
  const connector = new CompositeConnector({ webrtc: fake, maxPeers, counters, idleTimeoutMs });
  const accepted = new Map<string, Wire>();
  connector.onIncoming((peerId, wire) => {
    accepted.set(peerId, wire);
    wire.onMessage(() => {});
  });
  const peers = new Map<string, Peer>();
  const dialIn = (peerId: string, drain?: () => Promise<void>): Peer => {
    const peer: Peer = { remote: fake.dialIn(peerId, drain), closed: null };
    peer.remote.onClose((r) => (peer.closed = r));
    peers.set(peerId, peer);
    return peer;
  };
  /** Lets in-memory messages and closes arrive (they travel on microtasks). */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { connector, counters, accepted, peers, dialIn, settle };
}

describe('a full connector evicts the least useful session', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('evicts the longest-silent hello-only session for a newcomer, instead of refusing it', async () => {
    const t = setup(3);
    for (const id of ['a', 'b', 'c']) {
      t.dialIn(id).remote.send(HELLO(id));
      await t.settle();
      vi.advanceTimersByTime(1000);
    }
    t.peers.get('a')!.remote.send(HELLO('a')); // a speaks again: b is now the longest silent
    await t.settle();
    const d = t.dialIn('d');
    await t.settle();
    expect(d.closed).toBeNull();
    expect(t.peers.get('b')!.closed).toMatch(/^remote closed: EVICTED: /);
    expect(t.peers.get('a')!.closed).toBeNull();
    expect(t.peers.get('c')!.closed).toBeNull();
    expect(t.connector.open).toBe(3);
    expect(t.counters.get('evictedConnections')).toBe(1);
  });

  it('evicts hello-only sessions before ones that sent a have, and those before ones that moved a file', async () => {
    const t = setup(3);
    const moved = t.dialIn('moved');
    moved.remote.send(REQUEST);
    const have = t.dialIn('have');
    have.remote.send(HAVE);
    const hello = t.dialIn('hello');
    await t.settle();
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS); // nothing is moving any more
    t.dialIn('n1');
    await t.settle();
    expect([moved.closed, have.closed, hello.closed].map((c) => c !== null)).toEqual([false, false, true]);
    t.dialIn('n2'); // n1 said nothing: it goes before `have`
    await t.settle();
    expect(t.peers.get('n1')!.closed).toMatch(/EVICTED/);
    expect(have.closed).toBeNull();
    t.peers.get('n2')!.remote.send(REQUEST);
    await t.settle();
    t.dialIn('n3');
    await t.settle();
    expect(have.closed).toMatch(/EVICTED/);
    expect(moved.closed).toBeNull();
  });

  it('never evicts a session that is moving a file: with every one busy, a newcomer is refused', async () => {
    const t = setup(2);
    const a = t.dialIn('a');
    const b = t.dialIn('b');
    a.remote.send(REQUEST);
    b.remote.send(REQUEST);
    await t.settle();
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS - 1);
    const c = t.dialIn('c');
    await t.settle();
    expect(c.closed).toMatch(/TOO_MANY_PEERS/);
    expect(a.closed).toBeNull();
    expect(b.closed).toBeNull();
    expect(t.counters.get('refusedConnections')).toBe(1);
    // Data we send counts as moving a file as well.
    t.accepted.get('a')!.send(bytes({ type: 'data', id: ID, chunk: 0, offset: 0, bytes: Uint8Array.of(1) }));
    vi.advanceTimersByTime(1);
    const d = t.dialIn('d');
    await t.settle();
    expect(b.closed).toMatch(/EVICTED/);
    expect(a.closed).toBeNull();
    expect(d.closed).toBeNull();
  });

  it('evicts for an outgoing connection too, and refuses to dial when every session is busy', async () => {
    const t = setup(1);
    const a = t.dialIn('a');
    await t.settle();
    await t.connector.connect('out-1');
    await t.settle();
    expect(a.closed).toMatch(/EVICTED/);
    expect(t.connector.connections().map((c) => c.direction)).toEqual(['out']);
    const [out] = t.connector.connections();
    expect(out.lastTransfer).toBeNull();
    const b = t.dialIn('b');
    await t.settle();
    expect(b.closed).toBeNull();
    b.remote.send(REQUEST);
    await t.settle();
    await expect(t.connector.connect('out-2')).rejects.toThrow(/all of them moving files/);
  });
});

describe('idle sessions', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes a session with no message either way for the idle timeout, counting it', async () => {
    const t = setup(10, 60_000);
    const a = t.dialIn('a');
    a.remote.send(HELLO('a'));
    await t.settle();
    vi.advanceTimersByTime(59_999);
    await t.settle();
    expect(a.closed).toBeNull();
    vi.advanceTimersByTime(1);
    await t.settle();
    expect(a.closed).toMatch(/^remote closed: IDLE_TIMEOUT: /);
    expect(t.counters.get('idleConnections')).toBe(1);
    expect(t.connector.open).toBe(0);
  });

  it('counts messages either way as activity', async () => {
    const t = setup(10, 60_000);
    const a = t.dialIn('a');
    await t.settle();
    vi.advanceTimersByTime(40_000);
    a.remote.send(HAVE); // in
    await t.settle();
    vi.advanceTimersByTime(40_000);
    t.accepted.get('a')!.send(HAVE); // out
    vi.advanceTimersByTime(59_999);
    await t.settle();
    expect(a.closed).toBeNull();
    vi.advanceTimersByTime(1);
    await t.settle();
    expect(a.closed).toMatch(/IDLE_TIMEOUT/);
  });

  it('does not close a session whose send waits for its buffer to drain', async () => {
    const t = setup(10, 60_000);
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const a = t.dialIn('a', () => gate);
    await t.settle();
    const waiting = t.accepted.get('a')!.drain();
    vi.advanceTimersByTime(180_000);
    await t.settle();
    expect(a.closed).toBeNull();
    open();
    await waiting;
    vi.advanceTimersByTime(60_000);
    await t.settle();
    expect(a.closed).toMatch(/IDLE_TIMEOUT/);
  });
});
