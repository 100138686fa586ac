/**
 * Across NATs: two browser contexts forced to relay-only ICE (`iceTransportPolicy: 'relay'`,
 * handed out by the tracker) complete a transfer through Debian's coturn, which checks the
 * short-lived per-peer credentials the tracker made with the shared secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { openPeer, shareFile, startTestApp, type TestApp } from '../helpers/app.ts';
import { startCoturn, TURNSERVER_PATH, type Coturn } from '../helpers/coturn.ts';

/** The e2e namespace's own address (scripts/netns-run.mjs): Chromium gathers candidates on it. */
const NETNS_ADDRESS = '10.99.0.1';
const SIZE = 3 * 1024 * 1024 + 4321;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let turn: Coturn;
let app: TestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
let dir: string;
let original: Buffer;
let filePath: string;

async function newTab(): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  await openPeer(page, app.url);
  return page;
}

beforeAll(async () => {
  if (!existsSync(TURNSERVER_PATH)) throw new Error(`${TURNSERVER_PATH} is missing: apt-get install coturn (.ci/run does).`);
  dir = await mkdtemp(join(tmpdir(), 'shoal-e2e-turn-'));
  original = randomBytes(SIZE);
  filePath = join(dir, 'through the relay.bin');
  await writeFile(filePath, original);
  turn = await startCoturn(NETNS_ADDRESS);
  app = await startTestApp({
    turn: { urls: [turn.url], secret: turn.secret, ttlSeconds: 600 },
    iceTransportPolicy: 'relay'
  });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
  await turn?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('TURN relay (coturn, shared-secret credentials)', () => {
  it('completes a browser-to-browser transfer with relay-only ICE through coturn', async () => {
    const seeder = await newTab();
    const { id } = await shareFile(seeder, filePath, 'through the relay.bin');
    const leecher = await newTab();
    await leecher.goto(`${app.url}/d/${id}`);
    await leecher.getByTestId('download-state').filter({ hasText: 'Complete' }).waitFor({ timeout: 120_000 });
    const [download] = await Promise.all([leecher.waitForEvent('download'), leecher.getByTestId('save').click()]);
    const bytes = await readFile(await download.path());
    expect(download.suggestedFilename()).toBe('through the relay.bin');
    expect(bytes.length).toBe(SIZE);
    expect(sha(bytes)).toBe(sha(original));
    // coturn accepted allocations made with the tracker's per-peer credentials (username `<expiry>:<peerId>`).
    const log = turn.log();
    expect(log).toMatch(/ALLOCATE processed, success/);
    expect(log).toMatch(/user <\d+:[0-9a-f]{32}>: incoming packet ALLOCATE processed, success/);
    // The data channel's traffic went through relay channels (the only candidates allowed).
    expect(log).toMatch(/CHANNEL_BIND processed, success/);
  });
});
