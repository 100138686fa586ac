import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { peerTabs, saveDownload, sha256Hex as sha, shareFile, startTestApp, type PeerTabs, type TestApp } from '../helpers/app.ts';
import { limitUpload } from '../helpers/upload-limit.ts';

let app: TestApp;
let browser: Browser;
let tabs: PeerTabs;
let dir: string;

const newPeer = (): Promise<Page> => tabs.newTab();

async function makeFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

async function percent(page: Page): Promise<number> {
  const text = await page.getByTestId('download-percent').textContent({ timeout: 30_000 });
  return Number(text!.replace('%', ''));
}

async function waitPercent(page: Page, atLeast: number): Promise<number> {
  await expect.poll(() => percent(page), { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(atLeast);
  return percent(page);
}

async function save(page: Page): Promise<Buffer> {
  return (await saveDownload(page)).bytes;
}

async function uploaded(page: Page, name: string): Promise<string> {
  await page.getByRole('link', { name: 'Share' }).click();
  const text = await page.getByTestId('my-file').filter({ hasText: name }).getByTestId('uploaded').textContent();
  return text!.replace('uploaded ', '');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-swarm-'));
  app = await startTestApp();
  browser = await launchChromium();
  // A seeder closed on purpose makes the others log failed connections; nothing else may fail.
  tabs = peerTabs(browser, app.url, [/WebSocket|ERR_CONNECTION|Connection failed/i]);
});

afterAll(async () => {
  await tabs?.close();
  await browser?.close();
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('swarm downloads in the browser', () => {
  it('fetches from two seeders at once: both send bytes, the file arrives whole', async () => {
    const f = await makeFile('both.bin', 12 * 1024 * 1024);
    const [a, b] = [await newPeer(), await newPeer()];
    const { id } = await shareFile(a, f.path, 'both.bin');
    await shareFile(b, f.path, 'both.bin');
    // Both seeders crawl (1 KiB/s: one 64 KiB block a second) until the downloader has connected
    // to both and asked both for chunks; only then do they speed up. So neither can serve the
    // whole file before the other is asked, however long connecting takes.
    await limitUpload(a, 1);
    await limitUpload(b, 1);
    const c = await newPeer();
    await c.goto(`${app.url}/d/${id}`);
    await expect.poll(() => c.getByTestId('download-peers').locator('tbody tr').count(), { timeout: 60_000 }).toBe(2);
    await limitUpload(a, 2048);
    await limitUpload(b, 2048);
    expect(sha(await save(c))).toBe(sha(f.bytes));
    // The pages refresh their counters once a second: wait for each seeder's to show its upload.
    await expect.poll(() => uploaded(a, 'both.bin'), { timeout: 10_000 }).not.toBe('0 B');
    await expect.poll(() => uploaded(b, 'both.bin'), { timeout: 10_000 }).not.toBe('0 B');
    // The downloader's reputation book now holds both seeders, with good scores.
    await c.getByRole('link', { name: 'This peer' }).click();
    await c.getByTestId('reputation-row').nth(1).waitFor({ timeout: 10_000 });
  });

  it('goes on when a seeder closes mid-download', async () => {
    const f = await makeFile('leaving.bin', 8 * 1024 * 1024);
    const [a, b] = [await newPeer(), await newPeer()];
    const { id } = await shareFile(a, f.path, 'leaving.bin');
    await shareFile(b, f.path, 'leaving.bin');
    await limitUpload(a, 1024);
    await limitUpload(b, 1024);
    const c = await newPeer();
    await c.goto(`${app.url}/d/${id}`);
    await waitPercent(c, 15);
    await a.context().close();
    expect(sha(await save(c))).toBe(sha(f.bytes));
  });

  it('waits with a reason when no peer is left, and resumes when one comes back', async () => {
    const f = await makeFile('patient.bin', 6 * 1024 * 1024);
    const a = await newPeer();
    const { id } = await shareFile(a, f.path, 'patient.bin');
    await limitUpload(a, 1024);
    const c = await newPeer();
    await c.goto(`${app.url}/d/${id}`);
    await waitPercent(c, 10);
    await a.context().close();
    await c.getByTestId('download-reason').filter({ hasText: /No peer with this file is online/ }).waitFor({ timeout: 30_000 });
    const b = await newPeer();
    await shareFile(b, f.path, 'patient.bin');
    expect(sha(await save(c))).toBe(sha(f.bytes));
  });

  it('resumes after a reload from the chunks already stored, not from zero', async () => {
    const f = await makeFile('reload.bin', 10 * 1024 * 1024);
    const a = await newPeer();
    const { id } = await shareFile(a, f.path, 'reload.bin');
    await limitUpload(a, 1024);
    const c = await newPeer();
    await c.goto(`${app.url}/d/${id}`);
    const before = await waitPercent(c, 30);
    // Stop the seeder first, so every byte after the reload must have been stored before it.
    await limitUpload(a, 1);
    await c.reload();
    await c.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor();
    // A resumed download starts from the chunks in storage (counted from the stored keys), and
    // every chunk counted before the reload had been stored.
    const after = await percent(c);
    expect(after).toBeGreaterThanOrEqual(before);
    await limitUpload(a, 0);
    expect(sha(await save(c))).toBe(sha(f.bytes));
  });

  it('keeps unlisted files out of search, and finds public ones', async () => {
    const pub = await makeFile('quarterly report public.txt', 3000);
    const hidden = await makeFile('quarterly report secret.txt', 4000);
    const a = await newPeer();
    await shareFile(a, pub.path, 'quarterly report public.txt');
    await a.getByLabel(/unlisted/).check();
    const secret = await shareFile(a, hidden.path, 'quarterly report secret.txt');
    const s = await newPeer();
    await s.getByRole('link', { name: 'Network' }).click();
    await s.getByTestId('search-input').fill('quarterly report');
    await s.getByTestId('search-go').click();
    const results = s.getByTestId('search-results');
    await results.getByText('quarterly report public.txt').waitFor();
    await expect(results.textContent()).resolves.not.toContain('secret');
    // By id prefix it is not listed either; by id or link it still downloads.
    await s.getByTestId('search-input').fill(secret.id.slice(0, 12));
    await s.getByTestId('search-go').click();
    await s.getByText(/^0 results/).waitFor();
    await s.goto(secret.link);
    expect(sha(await save(s))).toBe(sha(hidden.bytes));
  });

  it('logged no page errors', () => {
    tabs.assertNoErrors();
  });
});
