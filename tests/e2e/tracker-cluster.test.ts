/**
 * Two tracker processes sharing one redis-server, each serving the site, each behind its own
 * failover proxy (primary first). Tab A lands on process 1, tab B on process 2; A shares, B
 * downloads across processes over WebRTC. Then process 1 is killed: A's tracker connection fails
 * over to process 2 through its proxy, and A goes on sharing and seeding.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerTabs, saveDownload, sha256Hex as sha, shareFile, type PeerTabs } from '../helpers/app.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startBalancer, type Balancer } from '../../scripts/balancer.ts';
import { freeTcpPort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.ts';
import { startTrackerProcess, type TrackerProcess } from '../helpers/tracker-process.ts';

let redis: TestRedis;
let one: TrackerProcess;
let two: TrackerProcess;
let toOne: Balancer;
let toTwo: Balancer;
let browser: Browser;
let tabsOne: PeerTabs;
let tabsTwo: PeerTabs;
let dir: string;

/** Open peer connections on one process (the `shoal_connections` gauge of its /metrics). */
async function connectionsOn(p: TrackerProcess): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  return Number(/^shoal_connections (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** Waits until `value` (a request to a process; one that fails counts as no value) is `expected`. */
async function until<T>(value: () => Promise<T>, expected: T, timeout: number, message: string): Promise<void> {
  await expect.poll(() => value().catch(() => undefined), { timeout, interval: 100, message }).toEqual(expected);
}

async function makeFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

async function download(page: Page, origin: string, id: string): Promise<{ bytes: Buffer; name: string }> {
  await page.goto(`${origin}/d/${id}`);
  return saveDownload(page, 90_000);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cluster-'));
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, SHOAL_REDIS_PREFIX: uniquePrefix() };
  [one, two] = await Promise.all([startTrackerProcess({ env, site: true }), startTrackerProcess({ env, site: true })]);
  toOne = await startBalancer({ backends: [one.port, two.port], mode: 'ordered' });
  toTwo = await startBalancer({ backends: [two.port, one.port], mode: 'ordered' });
  browser = await launchChromium();
  // Killing process 1 on purpose makes tab A log one failed WebSocket while it reconnects.
  const ignore = [/WebSocket/i, /ERR_CONNECTION/, /socket\.io/];
  tabsOne = peerTabs(browser, toOne.url, ignore);
  tabsTwo = peerTabs(browser, toTwo.url, ignore);
});

afterAll(async () => {
  await tabsOne?.close();
  await tabsTwo?.close();
  await browser?.close();
  await toOne?.close();
  await toTwo?.close();
  await one?.stop();
  await two?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('several tracker processes, one network (browser)', () => {
  it('transfers between tabs on different processes, and survives the death of one process', async () => {
    const a = await tabsOne.newTab();
    const b = await tabsTwo.newTab();
    expect(await connectionsOn(one)).toBe(1);
    expect(await connectionsOn(two)).toBe(1);

    const first = await makeFile('across.bin', 3 * 1024 * 1024 + 77);
    const shared = await shareFile(a, first.path, 'across.bin');
    const got = await download(b, toTwo.url, shared.id);
    expect(got.name).toBe('across.bin');
    expect(sha(got.bytes)).toBe(sha(first.bytes));

    // Process 1 dies. A's connection fails over to process 2 through its proxy; the page says so.
    await one.kill('SIGKILL');
    await until(() => connectionsOn(two), 2, 30_000, 'tab A to reconnect to process 2');
    await a.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 30_000 });

    // A carries on: it shares a new file, and B, then a new tab C, download it from A.
    const second = await makeFile('after-failover.bin', 2 * 1024 * 1024 + 5);
    const again = await shareFile(a, second.path, 'after-failover.bin');
    expect(sha((await download(b, toTwo.url, again.id)).bytes)).toBe(sha(second.bytes));
    const c = await tabsTwo.newTab();
    expect(sha((await download(c, toTwo.url, shared.id)).bytes)).toBe(sha(first.bytes));
    tabsOne.assertNoErrors();
    tabsTwo.assertNoErrors();
  });
});

describe('several tracker processes without a balancer (browser)', () => {
  let redis2: TestRedis | undefined;
  const procs: TrackerProcess[] = [];
  let tabs: { one: PeerTabs; two: PeerTabs } | undefined;

  afterAll(async () => {
    await tabs?.one.close();
    await tabs?.two.close();
    for (const p of procs) await p.stop();
    await redis2?.stop();
  });

  it('a tab whose process dies moves to another process it learnt from hello, and goes on seeding', async () => {
    redis2 = await startRedis();
    const [portOne, portTwo] = [await freeTcpPort(), await freeTcpPort()];
    const prefix = uniquePrefix();
    // Each process says where clients reach it; hello hands every tab the live ones.
    const env = (port: number) => ({ REDIS_URL: redis2!.url, SHOAL_REDIS_PREFIX: prefix, SHOAL_PUBLIC_URL: `http://127.0.0.1:${port}` });
    const p1 = await startTrackerProcess({ env: env(portOne), site: true, port: portOne });
    const p2 = await startTrackerProcess({ env: env(portTwo), site: true, port: portTwo });
    procs.push(p1, p2);
    await until(async () => (await (await fetch(`${p1.url}/api/health`)).json()).trackers?.length, 2, 15_000, 'both processes to advertise');
    tabs = { one: peerTabs(browser, p1.url, [/WebSocket/i, /ERR_CONNECTION/, /socket\.io/]), two: peerTabs(browser, p2.url) };
    const a = await tabs.one.newTab();
    const b = await tabs.two.newTab();
    expect([await connectionsOn(p1), await connectionsOn(p2)]).toEqual([1, 1]);

    // A shares while its process is alive (the page loads its hashing worker from its own origin).
    const file = await makeFile('no-balancer.bin', 1024 * 1024 + 3);
    const shared = await shareFile(a, file.path, 'no-balancer.bin');
    // Its process dies: A's tracker connection moves to process 2 by itself, A announces again
    // there, and B (on process 2) downloads from A, signalled through process 2.
    await killAndFailOver(a, p1, p2);
    expect(sha((await download(b, p2.url, shared.id)).bytes)).toBe(sha(file.bytes));
    tabs.two.assertNoErrors();
  });
});

/** Kills `dying` and waits until tab `page` is online again through `other` (2 connections there). */
async function killAndFailOver(page: Page, dying: TrackerProcess, other: TrackerProcess): Promise<void> {
  await dying.kill('SIGKILL');
  await until(() => connectionsOn(other), 2, 30_000, 'the tab to reconnect to the other process');
  await page.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 30_000 });
}
