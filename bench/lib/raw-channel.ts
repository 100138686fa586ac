/**
 * The reference for every WebRTC figure: a raw simple-peer data channel, same library and
 * settings as Shoal's connector (no ICE servers, trickle), blasting the same file's bytes in
 * 64 KiB messages with the same backpressure as Shoal's DataChannelWire (pause above
 * HIGH_WATER_MARK of bufferedAmount, resume on `bufferedamountlow` at LOW_WATER_MARK or a 25 ms
 * poll). The receiver only counts bytes. Whatever Shoal adds (wire codec, chunk reassembly,
 * SHA-256 verification, IndexedDB, the UI) shows up as the ratio.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { BLOCK_SIZE } from '../../src/lib/core/constants.ts';
import { HIGH_WATER_MARK, LOW_WATER_MARK } from '../../src/lib/peer/constants.ts';

const require = createRequire(import.meta.url);
const SIMPLE_PEER_BUNDLE = join(dirname(require.resolve('simple-peer/package.json')), 'simplepeer.min.js');

/** Same message payload as Shoal's `data` messages (docs/PROTOCOL.md: BLOCK_SIZE). */
export const RAW_MESSAGE_BYTES = BLOCK_SIZE;
/** Bytes read from the file at once by the sender (Shoal's chunk size for files up to 8 GiB). */
const READ_PIECE = 1024 * 1024;

const PAGE_SCRIPT = String.raw`
'use strict';
const now = () => performance.timeOrigin + performance.now();
const st = { peer: null, pending: [], createdAt: 0, connect: null, pieces: [] };
window.raw = {
  start(initiator) {
    st.createdAt = now();
    const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers: [] } });
    st.peer = peer;
    peer.on('signal', (d) => window.benchSignal(JSON.parse(JSON.stringify(d))).catch(() => {}));
    peer.on('error', (e) => console.error('raw peer error', e.code, e.message));
    st.connect = new Promise((resolve, reject) => {
      peer.once('connect', () => resolve(now() - st.createdAt));
      peer.once('error', reject);
    });
    for (const d of st.pending.splice(0)) peer.signal(d);
  },
  signal(d) { if (st.peer) st.peer.signal(d); else st.pending.push(d); },
  async connected() {
    const connectMs = await st.connect;
    const pc = st.peer._pc;
    return { connectMs, maxMessageSize: pc.sctp ? pc.sctp.maxMessageSize : null };
  },
  async load(piece) {
    const file = document.getElementById('f').files[0];
    st.pieces = [];
    for (let off = 0; off < file.size; off += piece) st.pieces.push(await file.slice(off, Math.min(file.size, off + piece)).arrayBuffer());
    return file.size;
  },
  receive(total) {
    let got = 0, messages = 0, firstAt = 0, nextMark = 1048576;
    const marks = [];
    return new Promise((resolve) => {
      const onData = (m) => {
        if (got === 0) firstAt = now();
        got += m.byteLength; messages++;
        // When each MiB has arrived: shows stalls, for comparison with Shoal's progress.
        while (got >= nextMark) { marks.push(now()); nextMark += 1048576; }
        if (got >= total) { st.peer.off('data', onData); resolve({ bytes: got, messages, firstAt, doneAt: now(), marks }); }
      };
      st.peer.on('data', onData);
    });
  },
  async send(messageBytes, high, low) {
    const ch = st.peer._channel;
    ch.bufferedAmountLowThreshold = low;
    const drain = () => new Promise((resolve) => {
      const done = () => { clearInterval(poll); ch.removeEventListener('bufferedamountlow', done); resolve(); };
      const poll = setInterval(() => { if (ch.bufferedAmount <= low) done(); }, 25);
      ch.addEventListener('bufferedamountlow', done);
    });
    let pauses = 0;
    const startAt = now();
    for (const buf of st.pieces) {
      const bytes = new Uint8Array(buf);
      for (let off = 0; off < bytes.length; off += messageBytes) {
        if (ch.bufferedAmount > high) { pauses++; await drain(); }
        st.peer.send(bytes.subarray(off, Math.min(bytes.length, off + messageBytes)));
      }
    }
    return { startAt, queuedAt: now(), pauses };
  },
  destroy() { if (st.peer) st.peer.destroy(); st.pieces = []; }
};
`;

const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>raw channel</title><link rel="icon" href="data:,">
<script src="/simplepeer.min.js"></script><script>${PAGE_SCRIPT}</script></head>
<body><input type="file" id="f"></body></html>`;

export interface RawServer {
  url: string;
  close(): Promise<void>;
}

/** A tiny local HTTP server for the raw-channel page (a secure context: 127.0.0.1). */
export async function startRawServer(): Promise<RawServer> {
  const bundle = await readFile(SIMPLE_PEER_BUNDLE);
  const server: Server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE_HTML);
    } else if (req.url === '/simplepeer.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r()))
  };
}

export interface RawResult {
  bytes: number;
  ms: number;
  /** Longest time without a whole MiB arriving, ms. */
  longestGapMs: number;
  connectMs: number;
  maxMessageSize: number | null;
  pauses: number;
}

type Signal = (data: unknown) => Promise<void>;

/** Longest interval between consecutive times (the first from `start`), ms. */
export function longestGap(start: number, times: number[]): number {
  let prev = start;
  let max = 0;
  for (const t of times) {
    max = Math.max(max, t - prev);
    prev = t;
  }
  return max;
}

/** Opens the raw page and relays its signals to `deliver`. */
export async function openRawPage(page: Page, url: string, deliver: Signal): Promise<void> {
  await page.exposeFunction('benchSignal', deliver);
  await page.goto(url);
}


/** Browser → browser: `sender` blasts the file at `path` to `receiver`. Both pages fresh. */
export async function rawBrowserToBrowser(url: string, sender: Page, receiver: Page, path: string): Promise<RawResult> {
  await openRawPage(sender, url, (d) => receiver.evaluate((x) => (window as any).raw.signal(x), d) as Promise<void>);
  await openRawPage(receiver, url, (d) => sender.evaluate((x) => (window as any).raw.signal(x), d) as Promise<void>);
  await sender.locator('#f').setInputFiles(path);
  const total = (await sender.evaluate((p) => (window as any).raw.load(p), READ_PIECE)) as number;
  await receiver.evaluate(() => (window as any).raw.start(false));
  await sender.evaluate(() => (window as any).raw.start(true));
  const [info] = (await Promise.all([sender, receiver].map((p) => p.evaluate(() => (window as any).raw.connected())))) as {
    connectMs: number;
    maxMessageSize: number | null;
  }[];
  const receiving = receiver.evaluate((t) => (window as any).raw.receive(t), total) as Promise<{ bytes: number; doneAt: number; marks: number[] }>;
  const sent = (await sender.evaluate(([m, h, l]) => (window as any).raw.send(m, h, l), [RAW_MESSAGE_BYTES, HIGH_WATER_MARK, LOW_WATER_MARK] as const)) as {
    startAt: number;
    pauses: number;
  };
  const got = await receiving;
  await Promise.all([sender, receiver].map((p) => p.evaluate(() => (window as any).raw.destroy()).catch(() => undefined)));
  return { bytes: got.bytes, ms: got.doneAt - sent.startAt, longestGapMs: longestGap(sent.startAt, got.marks), connectMs: info.connectMs, maxMessageSize: info.maxMessageSize, pauses: sent.pauses };
}

/**
 * Node → browser: a simple-peer in this Node process over node-datachannel (the WebRTC the Node
 * peer uses, cli/node-webrtc.ts) blasts the file to a raw page, with the same backpressure as
 * Shoal's DataChannelWire (bufferedamountlow or a 25 ms poll).
 */
export async function rawNodeToBrowser(url: string, receiver: Page, path: string): Promise<RawResult> {
  const { createSimplePeer, nodeWrtc } = await import('../../cli/node-webrtc.ts');
  const { open } = await import('node:fs/promises');
  const peer = createSimplePeer({ initiator: true, trickle: true, config: { iceServers: [] }, wrtc: nodeWrtc().wrtc });
  try {
    const pending: unknown[] = [];
    let pageReady = false;
    peer.on('signal', (d) => {
      if (pageReady) void receiver.evaluate((x) => (window as any).raw.signal(x), JSON.parse(JSON.stringify(d)));
      else pending.push(JSON.parse(JSON.stringify(d)));
    });
    await openRawPage(receiver, url, async (d) => peer.signal(d));
    const createdAt = performance.now();
    const connected = new Promise<number>((resolve, reject) => {
      peer.on('connect', () => resolve(performance.now() - createdAt));
      peer.on('error', reject);
    });
    await receiver.evaluate(() => (window as any).raw.start(false));
    pageReady = true;
    for (const d of pending.splice(0)) await receiver.evaluate((x) => (window as any).raw.signal(x), d);
    const connectMs = await connected;
    const fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    const pieces: Buffer[] = [];
    for (let off = 0; off < size; off += READ_PIECE) {
      const b = Buffer.allocUnsafe(Math.min(READ_PIECE, size - off));
      await fh.read(b, 0, b.length, off);
      pieces.push(b);
    }
    await fh.close();
    // The baseline drives simple-peer's own data channel directly, as the raw page does (its `_channel`).
    const channel = (peer as typeof peer & { _channel: RTCDataChannel })._channel;
    channel.bufferedAmountLowThreshold = LOW_WATER_MARK;
    const drain = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearInterval(poll);
          channel.removeEventListener?.('bufferedamountlow', done);
          resolve();
        };
        const poll = setInterval(() => {
          if (channel.bufferedAmount <= LOW_WATER_MARK) done();
        }, 25);
        channel.addEventListener?.('bufferedamountlow', done);
      });
    const receiving = receiver.evaluate((t) => (window as any).raw.receive(t), size) as Promise<{ bytes: number; doneAt: number; marks: number[] }>;
    let pauses = 0;
    const startAt = performance.timeOrigin + performance.now();
    for (const b of pieces) {
      for (let off = 0; off < b.length; off += RAW_MESSAGE_BYTES) {
        if (channel.bufferedAmount > HIGH_WATER_MARK) {
          pauses++;
          await drain();
        }
        peer.send(b.subarray(off, Math.min(b.length, off + RAW_MESSAGE_BYTES)));
      }
    }
    const got = await receiving;
    return { bytes: got.bytes, ms: got.doneAt - startAt, longestGapMs: longestGap(startAt, got.marks), connectMs, maxMessageSize: null, pauses };
  } finally {
    peer.destroy();
    await receiver.evaluate(() => (window as any).raw.destroy()).catch(() => undefined);
  }
}
