/**
 * Drives Shoal's real UI in a page, as a person would (the e2e tests' data-testids), and reads
 * the timings the page recorder (browser.ts RECORDER_SCRIPT) took inside the page.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { assertChromiumInstalled, assertInsideNetns, chromiumArgs, chromiumPath } from '../../tests/helpers/chromium.ts';
import { openPeer } from '../../tests/helpers/app.ts';
import { launchChromium, RECORDER_SCRIPT, steadyThroughput, waitRecord } from './browser.ts';

export interface BenchPage {
  page: Page;
  context: BrowserContext;
  /** The browser this page runs in, when it has one of its own (process mode). */
  browser: Browser | null;
}

/**
 * Two or more pages that act as separate people.
 *  - `contexts`: one Chromium, one incognito-like context per page (as the e2e tests run;
 *    IndexedDB of such a context is kept in memory).
 *  - `processes`: one Chromium per page with an on-disk profile (IndexedDB on disk), like
 *    separate machines, except that here they share 2 cores.
 */
export type PageMode = 'contexts' | 'processes';

export class PageSet {
  readonly pages: BenchPage[] = [];
  readonly #dirs: string[] = [];
  readonly #tmp: string;
  readonly mode: PageMode;
  #shared: Browser | null = null;

  constructor(mode: PageMode, tmp: string) {
    this.mode = mode;
    this.#tmp = tmp;
  }

  async add(opts: { recorder?: boolean; downloads?: boolean } = {}): Promise<BenchPage> {
    let context: BrowserContext;
    let browser: Browser | null = null;
    const acceptDownloads = opts.downloads ?? false;
    if (this.mode === 'contexts') {
      this.#shared ??= await launchChromium();
      context = await this.#shared.newContext({ acceptDownloads });
    } else {
      assertInsideNetns();
      const executablePath = chromiumPath();
      assertChromiumInstalled(executablePath);
      const dir = await mkdtemp(join(this.#tmp, 'profile-'));
      this.#dirs.push(dir);
      context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: chromiumArgs(), acceptDownloads });
      browser = context.browser();
    }
    if (opts.recorder !== false) await context.addInitScript(RECORDER_SCRIPT);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => process.stderr.write(`    page error: ${e.message}\n`));
    const p = { page, context, browser };
    this.pages.push(p);
    return p;
  }

  /** Closes every page (and its browser and profile in process mode); a shared browser stays for the next pages. */
  async closePages(): Promise<void> {
    for (const p of this.pages) await p.context.close().catch(() => undefined);
    for (const d of this.#dirs) await rm(d, { recursive: true, force: true });
    this.#dirs.length = 0;
    this.pages.length = 0;
  }

  async close(): Promise<void> {
    await this.closePages();
    await this.#shared?.close().catch(() => undefined);
    this.#shared = null;
  }
}

export interface ShareResult {
  id: string;
  link: string;
  /** From the file input's change to the file listed under My files: hashing (worker, WebCrypto) and storing. */
  hashMs: number;
}

/** Opens the app, waits for the tracker, drops the file through the file input and waits until it is listed. */
export async function shareThroughUi(page: Page, appUrl: string, path: string, name: string, timeoutMs: number): Promise<ShareResult> {
  await openPeer(page, appUrl);
  await page.getByTestId('file-input').setInputFiles(path);
  const rec = await waitRecord(page, (r) => name in r.shared, timeoutMs, `sharing ${name}`);
  const item = page.getByTestId('my-file').filter({ hasText: name });
  const id = (await item.getByTestId('file-id').textContent())!.trim();
  const link = (await item.getByTestId('share-link').getAttribute('href'))!;
  return { id, link, hashMs: rec.shared[name] - rec.changeAt };
}

export interface DownloadResult {
  /** Bytes and time after the first progress (no connection set-up). */
  steadyBytes: number;
  steadyMs: number;
  /** From opening the share link to "Complete": tracker lookup and WebRTC set-up included. */
  totalMs: number;
  percent: [number, number][];
  completeAt: number;
}

/** Opens a share link and waits until the download page says Complete. */
export async function downloadThroughUi(page: Page, link: string, size: number, timeoutMs: number): Promise<DownloadResult> {
  const start = Date.now();
  await page.goto(link);
  const rec = await waitRecord(page, (r) => r.completeAt > 0, timeoutMs, 'download');
  const steady = steadyThroughput(rec, size);
  return { steadyBytes: steady.bytes, steadyMs: steady.ms, totalMs: rec.completeAt - start, percent: rec.percent, completeAt: rec.completeAt };
}
