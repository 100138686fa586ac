// Proves the e2e harness: two isolated Chromium contexts inside the test network namespace connect
// with simple-peer (no STUN/TURN, candidates as plain addresses), send 4 MiB in 64 KiB messages
// with backpressure, and both sides agree on the SHA-256 of what went through.
//
// Signalling is relayed by the test itself (page.exposeFunction -> other page's evaluate), so this
// test depends on nothing but playwright-core, simple-peer's prebuilt bundle and node:http.

import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { isIP, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  collectPageErrors,
  launchChromium,
  newIsolatedPages,
  PLAYWRIGHT_DISABLED_FEATURES,
  type PageErrorCollector
} from '../helpers/chromium';

const TOTAL_BYTES = 4 * 1024 * 1024;
const MESSAGE_BYTES = 64 * 1024;
/** Sender pauses above this many queued bytes and resumes on `bufferedamountlow`. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

const require = createRequire(import.meta.url);
const SIMPLE_PEER_BUNDLE = join(dirname(require.resolve('simple-peer/package.json')), 'simplepeer.min.js');

// The page's script: plain browser JavaScript, so nothing depends on how the test is transpiled.
const PAGE_SCRIPT = String.raw`
'use strict';
const t0 = () => performance.timeOrigin + performance.now();
const state = { peer: null, pending: [], createdAt: 0, connectedAt: 0, connect: null };

function signalOut(data) {
  // JSON round trip: exposeFunction wants plain data.
  window.shoalSignal(JSON.parse(JSON.stringify(data))).catch((e) => console.error('relay failed', e));
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Addresses of the ICE candidate pair in use, from getStats, or nulls while the report does not
// name it yet (right after 'connect' it may not: the test polls).
async function selectedPair(pc) {
  const stats = [...(await pc.getStats()).values()];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport && byId.get(transport.selectedCandidatePairId);
  const local = pair && byId.get(pair.localCandidateId);
  const remote = pair && byId.get(pair.remoteCandidateId);
  return { local: local?.address ?? null, remote: remote?.address ?? null };
}

window.harness = {
  start(initiator) {
    state.createdAt = t0();
    const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers: [] } });
    state.peer = peer;
    peer.on('signal', signalOut);
    peer.on('error', (e) => console.error('peer error', e.code, e.message));
    state.connect = new Promise((resolve, reject) => {
      peer.once('connect', () => {
        state.connectedAt = t0();
        resolve();
      });
      peer.once('error', reject);
    });
    for (const data of state.pending.splice(0)) peer.signal(data);
  },
  signal(data) {
    if (state.peer) state.peer.signal(data);
    else state.pending.push(data);
  },
  async connected() {
    await state.connect;
    // simple-peer 9 keeps the RTCPeerConnection and channel private; read the limits from them.
    const pc = state.peer._pc;
    return {
      connectMs: state.connectedAt - state.createdAt,
      connectedAt: state.connectedAt,
      maxMessageSize: pc.sctp ? pc.sctp.maxMessageSize : null
    };
  },
  pair() {
    return selectedPair(state.peer._pc);
  },
  receive(total) {
    const buf = new Uint8Array(total);
    let offset = 0;
    let messages = 0;
    let firstAt = 0;
    return new Promise((resolve, reject) => {
      const onData = async (chunk) => {
        if (offset === 0) firstAt = t0();
        if (offset + chunk.byteLength > total) {
          state.peer.off('data', onData);
          reject(new Error('received more than ' + total + ' bytes'));
          return;
        }
        buf.set(chunk, offset);
        offset += chunk.byteLength;
        messages++;
        if (offset === total) {
          const doneAt = t0();
          state.peer.off('data', onData);
          resolve({ bytes: offset, messages, firstAt, doneAt, sha256: await sha256Hex(buf) });
        }
      };
      state.peer.on('data', onData);
    });
  },
  async send(total, messageBytes, highWater, lowWater) {
    const data = new Uint8Array(total);
    for (let i = 0; i < total; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(total, i + 65536)));
    const sha256 = await sha256Hex(data);
    const channel = state.peer._channel;
    channel.bufferedAmountLowThreshold = lowWater;
    const drained = () =>
      new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    let pauses = 0;
    let maxBuffered = 0;
    const startAt = t0();
    for (let offset = 0; offset < total; offset += messageBytes) {
      if (channel.bufferedAmount > highWater) {
        pauses++;
        await drained();
      }
      state.peer.send(data.subarray(offset, Math.min(total, offset + messageBytes)));
      maxBuffered = Math.max(maxBuffered, channel.bufferedAmount);
    }
    return { sha256, startAt, queuedAt: t0(), pauses, maxBuffered };
  },
  destroy() {
    if (state.peer) state.peer.destroy();
  }
};
`;

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>webrtc harness</title><link rel="icon" href="data:,">
<script src="/simplepeer.min.js"></script>
<script>${PAGE_SCRIPT}</script>
</head><body>webrtc harness</body></html>`;

interface CandidateSeen {
  from: string;
  address: string;
  line: string;
}

/** Address field of an ICE candidate line ("candidate:<f> <c> <proto> <prio> <address> <port> typ ..."). */
function candidateAddress(line: string): string {
  const fields = line.replace(/^a=/, '').split(' ');
  return fields[4] ?? '';
}

async function startServer(): Promise<{ server: Server; url: string }> {
  const bundle = await readFile(SIMPLE_PEER_BUNDLE);
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE_HTML);
    } else if (req.url === '/simplepeer.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/` };
}

describe('WebRTC e2e harness', () => {
  let server: Server | undefined;
  let url = '';
  let browser: Browser | undefined;
  let pages: Page[] = [];
  const collectors: PageErrorCollector[] = [];
  const candidates: CandidateSeen[] = [];

  beforeAll(async () => {
    ({ server, url } = await startServer());
    browser = await launchChromium();
    pages = await newIsolatedPages(browser, 2);
    const names = ['A', 'B'];
    for (const [i, page] of pages.entries()) {
      const name = names[i];
      const other = pages[1 - i];
      collectors.push(collectPageErrors(page, { label: name }));
      await page.exposeFunction('shoalSignal', async (data: Record<string, unknown>) => {
        const candidate = (data.candidate as { candidate?: string } | undefined)?.candidate;
        if (typeof candidate === 'string' && candidate !== '') {
          candidates.push({ from: name, address: candidateAddress(candidate), line: candidate });
        }
        if (typeof data.sdp === 'string') {
          for (const line of data.sdp.split(/\r?\n/)) {
            if (line.startsWith('a=candidate:')) {
              candidates.push({ from: name, address: candidateAddress(line), line });
            }
          }
        }
        await other.evaluate((d) => (window as any).harness.signal(d), data);
      });
    }
    await Promise.all(pages.map((p) => p.goto(url)));
  });

  afterAll(async () => {
    for (const c of collectors) c.dispose();
    await Promise.allSettled(pages.map((p) => p.evaluate(() => (window as any).harness?.destroy())));
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('runs inside the private network namespace', () => {
    expect(process.env.SHOAL_NETNS).toBe('1');
  });

  it("repeats every feature playwright-core disables in launchChromium's --disable-features", async () => {
    // Chromium keeps only the last --disable-features switch; if a playwright-core upgrade adds a
    // feature to its list, copy it into PLAYWRIGHT_DISABLED_FEATURES (tests/helpers/chromium.ts).
    const bundle = await readFile(require.resolve('playwright-core/lib/coreBundle'), 'utf8');
    const list = /disabledFeatures = \[([\s\S]*?)\]/.exec(bundle);
    expect(list, 'disabledFeatures list not found in playwright-core; re-check the copy').not.toBeNull();
    const theirs = [...list![1].replace(/\/\/.*$/gm, '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(theirs.length).toBeGreaterThan(0);
    expect(PLAYWRIGHT_DISABLED_FEATURES).toEqual(expect.arrayContaining(theirs));
  });

  it('connects two isolated contexts and moves 4 MiB intact with backpressure', async () => {
    const [a, b] = pages;
    // Answerer first, so the offer never arrives before its peer exists (the page queues anyway).
    await b.evaluate(() => (window as any).harness.start(false));
    await a.evaluate(() => (window as any).harness.start(true));

    const [infoA, infoB] = await Promise.all(
      [a, b].map((p) =>
        p.evaluate(() => (window as any).harness.connected()) as Promise<{
          connectMs: number;
          connectedAt: number;
          maxMessageSize: number | null;
        }>
      )
    );
    // Chromium exposes the SCTP transport and its limit; a missing one is a failure, not a pass.
    expect(infoA.maxMessageSize).toBeGreaterThanOrEqual(MESSAGE_BYTES);

    const receiving = b.evaluate((total) => (window as any).harness.receive(total), TOTAL_BYTES) as Promise<{
      bytes: number;
      messages: number;
      firstAt: number;
      doneAt: number;
      sha256: string;
    }>;
    const sent = (await a.evaluate(
      ([total, size, high, low]) => (window as any).harness.send(total, size, high, low),
      [TOTAL_BYTES, MESSAGE_BYTES, HIGH_WATER_BYTES, LOW_WATER_BYTES] as const
    )) as { sha256: string; startAt: number; queuedAt: number; pauses: number; maxBuffered: number };
    const received = await receiving;

    expect(received.bytes).toBe(TOTAL_BYTES);
    expect(received.messages).toBe(TOTAL_BYTES / MESSAGE_BYTES);
    expect(received.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(received.sha256).toBe(sent.sha256);
    expect(sent.pauses).toBeGreaterThan(0);
    expect(sent.maxBuffered).toBeLessThanOrEqual(HIGH_WATER_BYTES + MESSAGE_BYTES);

    // Candidates: at least one, every one a plain IP address (no mDNS `.local` names).
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) {
      expect(c.address, c.line).not.toMatch(/\.local$/i);
      expect(isIP(c.address), c.line).not.toBe(0);
    }
    const pairs: { local: string; remote: string }[] = [];
    for (const p of [a, b]) {
      const pair = () => p.evaluate(() => (window as any).harness.pair()) as Promise<{ local: string | null; remote: string | null }>;
      await expect.poll(pair, { timeout: 20_000, message: 'the selected candidate pair in getStats' }).toEqual({ local: expect.any(String), remote: expect.any(String) });
      pairs.push((await pair()) as { local: string; remote: string });
    }
    const [pairA] = pairs;
    for (const pair of pairs) {
      expect(isIP(pair.local), pair.local).not.toBe(0);
      expect(isIP(pair.remote), pair.remote).not.toBe(0);
    }

    const seconds = (received.doneAt - sent.startAt) / 1000;
    const mibPerSecond = TOTAL_BYTES / (1024 * 1024) / seconds;
    console.log(
      `webrtc harness: connect A ${infoA.connectMs.toFixed(0)} ms, B ${infoB.connectMs.toFixed(0)} ms; ` +
        `4 MiB in ${(seconds * 1000).toFixed(0)} ms = ${mibPerSecond.toFixed(1)} MiB/s ` +
        `(${sent.pauses} backpressure pauses, max buffered ${sent.maxBuffered} B, ` +
        `maxMessageSize ${infoA.maxMessageSize}); pair ${pairA.local} <-> ${pairA.remote}; ` +
        `candidates ${[...new Set(candidates.map((c) => c.address))].join(', ')}`
    );

    for (const c of collectors) c.assertNone();
  });
});
