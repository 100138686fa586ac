/**
 * A `shoal` seeder's TCP port under the lock-out attacks of a client written from the docs
 * (docs/PROTOCOL.md §9, "Timeouts and limits"): silent sockets from one address, sessions that
 * say hello and then nothing, half-sent frames, a hello of another version and a `have` with the
 * wrong count. An honest download and a manifest request, alongside, must still succeed. The
 * attackers use other loopback addresses (127.0.0.2, 127.0.0.3: all of 127/8 is loopback) than
 * the honest peer (127.0.0.1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FrameDecoder, frameMessage, type WireMessage } from '../../src/lib/core/wire.ts';
import { CompositeConnector } from '../../cli/composite-connector.ts';
import { Counters, type CounterName } from '../../cli/counters.ts';
import { DEFAULT_MAX_PEERS, MAX_PENDING_TCP_PER_ADDRESS } from '../../cli/constants.ts';
import { TcpTransport } from '../../cli/tcp-transport.ts';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal, type ShoalProcess } from '../helpers/shoal.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface RawClient {
  socket: Socket;
  /** Our end, `address:port`, as the seeder names it in its reasons. */
  local: string;
  received: WireMessage[];
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
  isClosed(): boolean;
  send(m: WireMessage): void;
}

/** A raw TCP client of the wire protocol, from `localAddress`; resolves once connected. */
function rawClient(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port, localAddress });
    const decoder = new FrameDecoder();
    const received: WireMessage[] = [];
    let isClosed = false;
    let framed = true;
    const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
    socket.on('data', (b: Buffer) => {
      if (!framed) return;
      try {
        for (const m of decoder.push(b)) received.push(decodeMessage(m));
      } catch {
        framed = false; // not wire frames (a manifest answer): the test reads the bytes itself
      }
    });
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        local: `${socket.localAddress}:${socket.localPort}`,
        received,
        closed,
        isClosed: () => isClosed,
        send: (m) => void socket.write(frameMessage(encodeMessage(m)))
      })
    );
    socket.once('error', reject);
  });
}

/** Resolves with the first message that matches, or rejects if the socket closes first. */
function nextMessage(c: RawClient, match: (m: WireMessage) => boolean): Promise<WireMessage> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = c.received.find(match);
      if (found) {
        c.socket.off('data', onData);
        resolve(found);
        return true;
      }
      return false;
    };
    const onData = () => void setImmediate(check);
    if (check()) return;
    c.socket.on('data', onData);
    void c.closed.then(() => setImmediate(() => check() || reject(new Error(`closed before the message; got ${c.received.map((m) => m.type)}`))));
  });
}

/**
 * Silent sockets from one address, each opened again as soon as the seeder closes it (the
 * attacker "simply reconnects"), paced so the test does not burn the CPU it shares.
 */
function silentFlood(port: number, localAddress: string, count: number) {
  let stopped = false;
  const open = new Set<Socket>();
  let closes = 0;
  let connected = 0;
  const one = () => {
    if (stopped) return;
    const s = createConnection({ host: '127.0.0.1', port, localAddress });
    open.add(s);
    s.on('error', () => undefined);
    s.once('connect', () => connected++);
    s.once('close', () => {
      open.delete(s);
      closes++;
      if (!stopped) setTimeout(one, 200);
    });
  };
  for (let i = 0; i < count; i++) one();
  return {
    get connected() {
      return connected;
    },
    get closes() {
      return closes;
    },
    get open() {
      return open.size;
    },
    stop() {
      stopped = true;
      for (const s of open) s.destroy();
    }
  };
}

let dir: string;
let lan: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-tcp-limits-'));
  lan = lanArgs(await freeUdpPort());
});

afterAll(async () => {
  await killAllShoal();
  await rm(dir, { recursive: true, force: true });
});

describe('a shoal seeder under connection floods', () => {
  let seeder: ShoalProcess;
  let id: string;
  let tcpPort: number;
  const bytes = randomBytes(3 * 1024 * 1024 + 5);
  const cleanups: (() => void)[] = [];
  const probe = new TcpTransport({ port: 0, peerId: '34'.repeat(16), manifestOf: () => undefined, counters: new Counters() });

  beforeAll(async () => {
    await writeFile(join(dir, 'shared.bin'), bytes);
    // The default --max-peers (50), as in the attack.
    seeder = spawnShoal(['seed', join(dir, 'shared.bin'), '--data-dir', join(dir, 'seeder'), '--no-tracker', ...lan]);
    tcpPort = (await seeder.waitFor((e) => e.event === 'ready')).tcpPort;
    id = (await seeder.waitFor((e) => e.event === 'shared')).id;
    await seeder.waitFor((e) => e.event === 'seeding');
  });

  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  afterAll(() => probe.close());

  async function honestDownload(name: string): Promise<void> {
    const out = join(dir, name);
    await mkdir(out);
    const res = await runShoal(['get', id, '-o', out, '--data-dir', join(dir, `${name}-data`), '--no-tracker', ...lan]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(sha(await readFile(join(out, 'shared.bin')))).toBe(sha(bytes));
  }

  it(`${DEFAULT_MAX_PEERS} sessions that say hello and then nothing: a newcomer evicts one, and downloads`, async () => {
    const idle: RawClient[] = [];
    cleanups.push(() => idle.forEach((c) => c.socket.destroy()));
    for (let i = 0; i < DEFAULT_MAX_PEERS; i++) {
      const c = await rawClient(tcpPort, '127.0.0.3');
      idle.push(c);
      c.send({ type: 'hello', version: 1, peerId: `idle-${i}`, maxMessage: 66560 });
      // The seeder's own hello: the session is open on its side.
      await nextMessage(c, (m) => m.type === 'hello');
    }
    expect(idle.filter((c) => c.isClosed())).toEqual([]);
    // Manifest requests do not take a session: answered while the table is full.
    expect(await probe.fetchManifest('127.0.0.1', tcpPort, id)).toMatchObject({ name: 'shared.bin' });
    await honestDownload('after-idle-sessions');
    // The honest session took the room of the oldest of them.
    await idle[0].closed;
    expect(seeder.stderr()).toMatch(/EVICTED: room for a new peer; said hello and nothing else/);
  }, 60_000);

  it('64 silent sockets from one address, reconnecting, lock out nobody else', async () => {
    const flood = silentFlood(tcpPort, '127.0.0.2', 64);
    cleanups.push(() => flood.stop());
    // All 64 are connected before the honest peer comes (the seeder accepts in that order).
    await expect.poll(() => flood.connected, { timeout: 10_000 }).toBeGreaterThanOrEqual(64);
    expect(await probe.fetchManifest('127.0.0.1', tcpPort, id)).toMatchObject({ name: 'shared.bin', size: bytes.length });
    await honestDownload('after-flood');
    expect(seeder.child.exitCode).toBeNull();
  }, 60_000);

  it('closes a first frame that starts 01 02 at once, and logs WIRE_VERSION', async () => {
    const c = await rawClient(tcpPort);
    // A frame of 8 bytes of which only the type (hello) and version (2) are sent.
    c.socket.write(Uint8Array.of(0, 0, 0, 8, 1, 2));
    await c.closed;
    await expect.poll(() => seeder.stderr(), { timeout: 10_000 }).toMatch(/malformedFrames.*WIRE_VERSION: Unsupported protocol version 2/);
    // A version-1 hello announced at 200 bytes cannot be one: refused without waiting for them.
    const d = await rawClient(tcpPort);
    d.socket.write(Uint8Array.of(0, 0, 0, 200, 1, 1));
    await d.closed;
    await expect.poll(() => seeder.stderr(), { timeout: 10_000 }).toMatch(/WIRE_MALFORMED: A version-1 hello is 8 to 71 bytes, not 200/);
    expect(seeder.stderr()).not.toMatch(/PENDING_TIMEOUT/);
  });

  it('ignores a have with the wrong count, logging BAD_HAVE', async () => {
    const c = await rawClient(tcpPort);
    cleanups.push(() => c.socket.destroy());
    c.send({ type: 'hello', version: 1, peerId: 'bad-have', maxMessage: 66560 });
    await nextMessage(c, (m) => m.type === 'hello');
    c.send({ type: 'have', id, count: 65536, bitfield: new Uint8Array(8192) });
    // Messages are handled in order: once this is answered, the have before it was handled.
    c.send({ type: 'request', id, chunk: 999 });
    await nextMessage(c, (m) => m.type === 'reject' && m.chunk === 999);
    expect(c.received.filter((m) => m.type === 'have')).toEqual([]);
    await expect.poll(() => seeder.stderr(), { timeout: 10_000 }).toMatch(/BAD_HAVE.*65536 chunks for a file of 4/);
    // Ignored, not a protocol error: the session stays open.
    expect(c.isClosed()).toBe(false);
  });
});

describe('timeouts of the TCP transport', () => {
  let tcp: TcpTransport;
  let connector: CompositeConnector;
  const reasons: { name: CounterName; detail: string }[] = [];

  beforeAll(async () => {
    const counters = new Counters();
    counters.onAdd((name, _value, detail) => reasons.push({ name, detail }));
    // Short timeouts, so that each is seen to fire; each test waits for its event, not a time.
    tcp = new TcpTransport({
      port: 0,
      host: '127.0.0.1',
      peerId: '56'.repeat(16),
      manifestOf: () => undefined,
      counters,
      firstBytesTimeoutMs: 300,
      stallTimeoutMs: 300,
      manifestAnswerTimeoutMs: 300
    });
    await tcp.listen();
    connector = new CompositeConnector({ tcp, maxPeers: 10, counters, idleTimeoutMs: 600 });
    connector.onIncoming((_peerId, wire) => wire.onMessage(() => {}));
  });

  afterAll(() => connector.close());

  /** What the transport counted for a client: its name and reason (the detail names the remote end first). */
  const counted = (client: RawClient) => reasons.find((r) => r.detail.replace(/^tcp:/, '').startsWith(`${client.local} `));
  const reasonFor = (client: RawClient) => counted(client)?.detail ?? '';

  it('closes a half-sent frame after the hello (STALLED_FRAME)', async () => {
    const c = await rawClient(tcp.port);
    c.send({ type: 'hello', version: 1, peerId: 'staller', maxMessage: 66560 });
    // A request frame: its length and 2 of its 37 bytes.
    c.socket.write(Uint8Array.of(0, 0, 0, 37, 3, 0xab));
    await c.closed;
    await expect.poll(() => reasonFor(c)).toMatch(/STALLED_FRAME: a frame of 37 bytes \(2 received\) was not finished within 0.3 s/);
    expect(counted(c)?.name).toBe('malformedFrames');
  });

  it('closes a session that says hello and then nothing (IDLE_TIMEOUT)', async () => {
    const c = await rawClient(tcp.port);
    c.send({ type: 'hello', version: 1, peerId: 'idler', maxMessage: 66560 });
    await c.closed;
    await expect.poll(() => reasonFor(c)).toMatch(/IDLE_TIMEOUT: no message either way for 0.6 s/);
    expect(counted(c)?.name).toBe('idleConnections');
  });

  it('closes a connection that sends nothing (PENDING_TIMEOUT)', async () => {
    const c = await rawClient(tcp.port);
    await c.closed;
    await expect.poll(() => reasonFor(c)).toMatch(/PENDING_TIMEOUT: no hello or manifest request within 0.3 s/);
    expect(counted(c)?.name).toBe('refusedConnections');
  });

  it(`closes the oldest silent connection of an address over ${MAX_PENDING_TCP_PER_ADDRESS}, and nobody else's (TOO_MANY_PENDING)`, async () => {
    const counters = new Counters();
    const mine: { name: CounterName; detail: string }[] = [];
    counters.onAdd((name, _v, detail) => mine.push({ name, detail }));
    // The default first-bytes timeout (10 s) and no grace: each connection over the limit closes one.
    const t = new TcpTransport({ port: 0, host: '127.0.0.1', peerId: '78'.repeat(16), manifestOf: () => undefined, counters, pendingGraceMs: 0 });
    await t.listen();
    const sessions: string[] = [];
    t.onIncoming((peerId, wire) => {
      sessions.push(peerId);
      wire.close('test done');
    });
    try {
      const silent: RawClient[] = [];
      for (let i = 0; i <= MAX_PENDING_TCP_PER_ADDRESS; i++) silent.push(await rawClient(t.port, '127.0.0.2'));
      await silent[0].closed;
      // An honest peer from another address: accepted after all of them, so every decision is made.
      const honest = await rawClient(t.port, '127.0.0.1');
      honest.send({ type: 'hello', version: 1, peerId: 'honest', maxMessage: 66560 });
      await expect.poll(() => sessions).toEqual(['honest']);
      const evicted = mine.filter((r) => r.detail.includes('TOO_MANY_PENDING'));
      expect(evicted.map((r) => r.detail.split(' ')[0])).toEqual([silent[0].local]);
      expect(evicted[0].name).toBe('refusedConnections');
      expect(silent.slice(1).filter((c) => c.isClosed())).toEqual([]);
      silent.forEach((c) => c.socket.destroy());
    } finally {
      t.close();
    }
  });

  it('cuts a manifest answer the asker keeps open without closing (MANIFEST_TIMEOUT)', async () => {
    // Half-open: the asker takes the answer's end but never closes its side.
    const socket = createConnection({ host: '127.0.0.1', port: tcp.port, allowHalfOpen: true });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const local = `${socket.localAddress}:${socket.localPort}`;
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (b: Buffer) => (answer += b.toString('hex')));
    socket.write(Buffer.from(`53484d4601${'cd'.repeat(32)}`, 'hex'));
    await expect.poll(() => reasons.find((r) => r.detail.startsWith(`${local} MANIFEST_TIMEOUT`))?.name, { timeout: 10_000 }).toBe('refusedConnections');
    expect(answer).toBe('0100000000');
    socket.destroy();
  });

  /** Sends raw bytes, and resolves with everything the server sent before it closed. */
  async function exchange(request: Buffer): Promise<string> {
    const c = await rawClient(tcp.port);
    const got: Buffer[] = [];
    c.socket.on('data', (b: Buffer) => got.push(b));
    c.socket.write(request);
    await c.closed;
    return Buffer.concat(got).toString('hex');
  }

  it('answers the manifest requests of docs/PROTOCOL.md §3: not shared, and another version at once', async () => {
    const id = '98b659bc84afc041139a29f516db93c95dd611a078d479d8aefff721811da6a8';
    expect(await exchange(Buffer.from(`53484d4601${id}`, 'hex'))).toBe('0100000000');
    // Version 2: answered as soon as the version byte is in, without the rest of the request.
    expect(await exchange(Buffer.from('53484d4602', 'hex'))).toBe('0200000000');
  });
});
