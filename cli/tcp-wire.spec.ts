import { randomBytes } from 'node:crypto';
import { createServer, createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_MESSAGE_SIZE } from '../src/lib/core/constants.ts';
import { frameMessage } from '../src/lib/core/wire.ts';
import { TcpWire } from './tcp-wire.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

/** A connected socket pair on 127.0.0.1. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = createConnection({ host: '127.0.0.1', port });
  const other = await accepted;
  server.close();
  cleanup.push(() => {
    client.destroy();
    other.destroy();
  });
  return [client, other];
}

function collect(wire: TcpWire): Uint8Array[] {
  const got: Uint8Array[] = [];
  wire.onMessage((m) => got.push(new Uint8Array(m)));
  return got;
}

/** Waits (5 s at most) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(check()).toBe(true), { timeout: 5000, interval: 5 });
}

describe('TcpWire', () => {
  it('delivers messages whole and in order, whatever the stream pieces', async () => {
    const [a, b] = await socketPair();
    const wa = new TcpWire(a, 'a');
    const wb = new TcpWire(b, 'b');
    const got = collect(wb);
    const sent = Array.from({ length: 200 }, (_, i) => randomBytes(1 + ((i * 7919) % MAX_MESSAGE_SIZE)));
    for (const m of sent) wa.send(m);
    await until(() => got.length === sent.length);
    got.forEach((m, i) => expect(Buffer.from(m).equals(sent[i])).toBe(true));
    // Raw pieces split inside the prefix and the body.
    const framed = Buffer.concat([frameMessage(Uint8Array.from([1, 2, 3])), frameMessage(Uint8Array.from([4]))]);
    for (let i = 0; i < framed.length; i++) a.write(framed.subarray(i, i + 1));
    await until(() => got.length === sent.length + 2);
    expect([...got.at(-2)!]).toEqual([1, 2, 3]);
    expect([...got.at(-1)!]).toEqual([4]);
  });

  it('closes on a bad frame with a reason that starts with the code', async () => {
    const [a, b] = await socketPair();
    const wb = new TcpWire(b, 'b', { onMalformed: (r) => malformed.push(r) });
    const malformed: string[] = [];
    const reasons: string[] = [];
    wb.onClose((r) => reasons.push(r));
    a.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await until(() => reasons.length === 1);
    expect(reasons[0]).toMatch(/^WIRE_TOO_LARGE: /);
    expect(malformed).toHaveLength(1);
    expect(() => wb.send(Uint8Array.from([1]))).toThrow(/closed/);
  });

  it('applies backpressure: drain() waits while more than the high-water mark is queued', async () => {
    const [a, b] = await socketPair();
    b.pause(); // the receiver reads nothing yet
    const wa = new TcpWire(a, 'a');
    const block = randomBytes(65_000);
    for (let i = 0; i < 200; i++) wa.send(block); // 13 MB, above the 4 MiB mark
    expect(wa.bufferedAmount()).toBeGreaterThan(4 * 1024 * 1024);
    // drain() must wait for the socket's own 'drain' (everything handed to the kernel), however
    // long that takes: the receiver reads nothing until it is resumed below. A listener added
    // before drain()'s own runs first, so `sawDrain` tells whether drain() waited for the event.
    let sawDrain = false;
    a.once('drain', () => (sawDrain = true));
    let drained = false;
    const p = wa.drain().then(() => {
      drained = true;
      return { sawDrain, queued: wa.bufferedAmount() };
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    b.resume();
    expect(await p).toEqual({ sawDrain: true, queued: 0 });
  });

  it('reports the close of the other end once', async () => {
    const [a, b] = await socketPair();
    const wb = new TcpWire(b, 'b');
    const reasons: string[] = [];
    wb.onClose((r) => reasons.push(r));
    a.destroy();
    await until(() => reasons.length > 0);
    wb.close('again');
    expect(reasons).toEqual(['connection closed']);
  });
});
