/**
 * The Node peer (`shoal`) with browser tabs, through the real tracker and site (production build)
 * and Debian's Chromium, inside the private network namespace of scripts/netns-run.mjs:
 * Node seeds to a tab over WebRTC, a tab seeds to Node, and Node downloads from a Node peer (LAN,
 * TCP) and a tab (WebRTC) at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerTabs, saveDownload, sha256Hex as sha, shareFile, startTestApp, type PeerTabs, type TestApp } from '../helpers/app.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { freeUdpPort, killAllShoal, lanArgs, runShoal, spawnShoal } from '../helpers/shoal.ts';
import { limitUpload } from '../helpers/upload-limit.ts';


let app: TestApp;
let browser: Browser;
let dir: string;
let tabs: PeerTabs;

const newTab = (): Promise<Page> => tabs.newTab();
const saveFromDownloadPage = (page: Page) => saveDownload(page);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-e2e-node-'));
  app = await startTestApp();
  browser = await launchChromium();
  tabs = peerTabs(browser, app.url);
});

afterAll(async () => {
  await killAllShoal();
  await tabs?.close();
  await browser?.close();
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Node peer and browser tabs', () => {
  it('a Node peer seeds to a browser tab over WebRTC through the tracker', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 333);
    await writeFile(join(dir, 'from node.bin'), bytes);
    const seeder = spawnShoal(['seed', join(dir, 'from node.bin'), '--tracker', app.url, '--no-lan', '--data-dir', join(dir, 'node-seeder')]);
    const shared = await seeder.waitFor((e) => e.event === 'shared');
    expect(shared.link).toBe(`${app.url}/d/${shared.id}`);
    await seeder.waitFor((e) => e.event === 'seeding');

    const tab = await newTab();
    await tab.goto(shared.link);
    const saved = await saveFromDownloadPage(tab);
    expect(saved.name).toBe('from node.bin');
    expect(sha(saved.bytes)).toBe(sha(bytes));
    seeder.kill('SIGTERM');
    expect((await seeder.exited).code).toBe(0);
  });

  it('a browser tab seeds to a Node peer', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 77);
    await writeFile(join(dir, 'from tab.bin'), bytes);
    const tab = await newTab();
    const { id } = await shareFile(tab, join(dir, 'from tab.bin'), 'from tab.bin');
    const out = join(dir, 'out-tab');
    await mkdir(out);
    const res = await runShoal(['get', `${app.url}/d/${id}`, '-o', out, '--tracker', app.url, '--no-lan', '--data-dir', join(dir, 'node-getter')]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(sha(await readFile(join(out, 'from tab.bin')))).toBe(sha(bytes));
    const done = res.events.find((e) => e.event === 'done')!;
    expect(done.peers).toEqual([expect.objectContaining({ kind: 'browser', bytes: expect.any(Number) })]);
    expect(done.peers[0].bytes).toBeGreaterThan(0);
  });

  it('a Node peer downloads from a Node peer on the LAN and a browser tab at once', async () => {
    const bytes = randomBytes(24 * 1024 * 1024);
    await writeFile(join(dir, 'both.bin'), bytes);
    const lan = lanArgs(await freeUdpPort());
    const tab = await newTab();
    const { id } = await shareFile(tab, join(dir, 'both.bin'), 'both.bin');
    // The order is fixed so that both sources certainly send: the tab, held at 256 KiB/s (about
    // 100 s for the whole file), is the only source until the getter has stored a chunk from it;
    // only then does the Node seeder start, and the getter takes the rest from both.
    await limitUpload(tab, 256);
    const out = join(dir, 'out-both');
    await mkdir(out);
    const getter = spawnShoal(['get', id, '-o', out, '--tracker', app.url, ...lan, '--data-dir', join(dir, 'both-getter')]);
    await getter.waitFor((e) => e.event === 'progress' && e.have >= 1, 60_000);
    const nodeSeeder = spawnShoal(['seed', join(dir, 'both.bin'), '--tracker', app.url, ...lan, '--data-dir', join(dir, 'lan-seeder')]);
    const ready = await nodeSeeder.waitFor((e) => e.event === 'ready');
    const { code } = await getter.exited;
    expect(code, getter.stdout() + getter.stderr()).toBe(0);
    expect(sha(await readFile(join(out, 'both.bin')))).toBe(sha(bytes));
    const peers: { peerId: string; kind: string; bytes: number }[] = getter.events.find((e) => e.event === 'done')!.peers;
    const fromNode = peers.find((p) => p.peerId === ready.peerId);
    const fromTab = peers.find((p) => p.kind === 'browser');
    expect(fromNode?.bytes, JSON.stringify(peers)).toBeGreaterThan(0);
    expect(fromTab?.bytes, JSON.stringify(peers)).toBeGreaterThan(0);
    nodeSeeder.kill('SIGTERM');
    await nodeSeeder.exited;
  });

  it('logged no page errors', () => {
    tabs.assertNoErrors();
  });
});
