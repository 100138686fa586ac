/**
 * Test helper: the real Shoal server (tracker + the production SvelteKit build) on 127.0.0.1
 * port 0, its SQLite file in a temporary directory. Needs `npm run build` first (npm test does it).
 * Serves the build `build` pointed at when the app started, as `npm run serve` does
 * (server/site-build.ts), so a rebuild during a test run changes nothing under it.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors, type PageErrorCollector } from './chromium.ts';
import { startShoalServer, type ShoalServer, type ShoalServerOptions } from '../../server/shoal-server.ts';
import { openSiteBuild, siteBuildPaths } from '../../server/site-build.ts';

export interface TestApp {
  url: string;
  server: ShoalServer;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestApp(opts: Partial<ShoalServerOptions> = {}): Promise<TestApp> {
  const site = await openSiteBuild(siteBuildPaths(resolve('.')));
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'shoal-e2e-')));
  const server = await startShoalServer({ host: '127.0.0.1', port: 0, ...opts, dataDir, handler: site.handler }).catch((err: unknown) => {
    site.release();
    throw err;
  });
  return {
    url: server.url,
    server,
    dataDir,
    async close() {
      await server.close();
      site.release();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  };
}

/** Opens the site and waits until this tab's peer is connected to the tracker. */
export async function openPeer(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 20_000 });
}

/** Shares a file from disk through the page's file input; returns its content id and share link. */
export async function shareFile(page: Page, path: string, name: string): Promise<{ id: string; link: string }> {
  await page.getByTestId('file-input').setInputFiles(path);
  const item = page.getByTestId('my-file').filter({ hasText: name });
  await item.waitFor({ timeout: 60_000 });
  const id = (await item.getByTestId('file-id').textContent())!.trim();
  const link = (await item.getByTestId('share-link').getAttribute('href'))!;
  return { id, link };
}

/** SHA-256 of bytes, hex: how the e2e tests compare saved files with originals. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Browser peers for one test file: each tab has its own context (its own profile: IndexedDB,
 * sessionStorage), is opened on the site and waits until online; page errors are collected.
 */
export interface PeerTabs {
  /** A new isolated context with downloads accepted (for tests that set up the context first). */
  newContext(): Promise<BrowserContext>;
  /** A new isolated tab on the site, online. */
  newTab(): Promise<Page>;
  /** Throws if any tab logged an error that is not ignored. */
  assertNoErrors(): void;
  close(): Promise<void>;
}

export function peerTabs(browser: Browser, url: string, ignore: RegExp[] = []): PeerTabs {
  const contexts: BrowserContext[] = [];
  const collectors: PageErrorCollector[] = [];
  const newContext = async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    contexts.push(context);
    return context;
  };
  return {
    newContext,
    async newTab() {
      const page = await (await newContext()).newPage();
      collectors.push(collectPageErrors(page, { ignore: [/favicon/, ...ignore] }));
      await openPeer(page, url);
      return page;
    },
    assertNoErrors() {
      for (const c of collectors) c.assertNone();
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
    }
  };
}

/** Waits for the download page to say complete, clicks Save and returns the saved bytes and name. */
export async function saveDownload(page: Page, timeout = 120_000): Promise<{ bytes: Buffer; name: string }> {
  await page.getByTestId('download-state').filter({ hasText: 'Complete' }).waitFor({ timeout });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
  return { bytes: await readFile(await download.path()), name: download.suggestedFilename() };
}
