/**
 * Browser helpers for benchmarks: Debian's Chromium inside the private network namespace (the
 * same launcher as the e2e tests), a heap sampler over the DevTools protocol, the peak RSS of
 * renderer processes, and a recorder that timestamps the download page's progress in the page.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../../tests/helpers/chromium.ts';
import { procMemory } from './proc-memory.ts';

export { launchChromium };

export interface HeapPeak {
  /** Peak V8 heap in use (JS objects), bytes. */
  usedPeak: number;
  /** Peak V8 heap plus ArrayBuffer backing stores (where chunk bytes live), bytes. */
  usedWithBuffersPeak: number;
  samples: number;
  series: { t: number; used: number; buffers: number }[];
}

/**
 * Samples a page's JS heap every `intervalMs` with CDP `Runtime.getHeapUsage` (Chromium 156
 * reports `usedSize` and `backingStorageSize`, the ArrayBuffers outside the V8 heap). Hashing
 * workers run in the same renderer process but not in this isolate: the renderer's RSS covers them.
 */
export class HeapSampler {
  readonly #cdp: CDPSession;
  #timer: ReturnType<typeof setInterval> | null = null;
  #busy = false;
  readonly #t0 = Date.now();
  readonly peak: HeapPeak = { usedPeak: 0, usedWithBuffersPeak: 0, samples: 0, series: [] };

  private constructor(cdp: CDPSession) {
    this.#cdp = cdp;
  }

  static async start(context: BrowserContext, page: Page, intervalMs = 200): Promise<HeapSampler> {
    const cdp = await context.newCDPSession(page);
    const s = new HeapSampler(cdp);
    await s.#sample();
    s.#timer = setInterval(() => void s.#sample(), intervalMs);
    return s;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const u = (await this.#cdp.send('Runtime.getHeapUsage' as never)) as { usedSize: number; backingStorageSize?: number };
      const buffers = u.backingStorageSize ?? 0;
      this.peak.usedPeak = Math.max(this.peak.usedPeak, u.usedSize);
      this.peak.usedWithBuffersPeak = Math.max(this.peak.usedWithBuffersPeak, u.usedSize + buffers);
      this.peak.samples++;
      if (this.peak.series.length < 5000) this.peak.series.push({ t: Date.now() - this.#t0, used: u.usedSize, buffers });
    } catch {
      // page navigating or closed: skip this sample
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<HeapPeak> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sample();
    await this.#cdp.detach().catch(() => undefined);
    this.peak.series = thin(this.peak.series, MAX_SERIES_POINTS);
    return this.peak;
  }
}

/** Points of a heap series kept for the results file (the peaks are computed from every sample). */
const MAX_SERIES_POINTS = 300;

/** At most `max` points: the sample with the most memory in each of `max` equal runs of samples. */
export function thin<T extends { used: number; buffers: number }>(series: T[], max: number): T[] {
  if (series.length <= max) return series;
  const out: T[] = [];
  const per = series.length / max;
  for (let i = 0; i < max; i++) {
    const group = series.slice(Math.floor(i * per), Math.floor((i + 1) * per));
    out.push(group.reduce((a, b) => (b.used + b.buffers > a.used + a.buffers ? b : a)));
  }
  return out;
}

/** Peak RSS (VmHWM) of each renderer process of a browser, largest first. */
export async function rendererPeaks(browser: Browser): Promise<{ pid: number; peakRss: number; rss: number }[]> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo' as never)) as { processInfo: { type: string; id: number }[] };
    return info.processInfo
      .filter((p) => p.type === 'renderer')
      .map((p) => ({ pid: p.id, ...(procMemory(p.id) ?? { rss: 0, peakRss: 0 }) }))
      .sort((a, b) => b.peakRss - a.peakRss);
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** What the page recorder saw; times are epoch milliseconds from the page's clock. */
export interface PageRecord {
  /** [time, percent] each time the download page's percentage changed. */
  percent: [number, number][];
  /** When the download page first said "Complete". */
  completeAt: number;
  /** When a file input last changed (a share began). */
  changeAt: number;
  /** File name → when it first appeared under My files. */
  shared: Record<string, number>;
}

/**
 * Installed before every navigation: timestamps, in the page, the UI changes a benchmark waits
 * for (the data-testids the e2e tests use), so no polling delay enters a measurement.
 */
export const RECORDER_SCRIPT = String.raw`(() => {
  const rec = { percent: [], completeAt: 0, changeAt: 0, shared: {} };
  window.__benchRecord = rec;
  const now = () => performance.timeOrigin + performance.now();
  let last = -1;
  const check = () => {
    const p = document.querySelector('[data-testid=download-percent]');
    if (p) {
      const v = parseInt(p.textContent, 10);
      if (v !== last && !Number.isNaN(v)) { last = v; rec.percent.push([now(), v]); }
    }
    if (!rec.completeAt) {
      const s = document.querySelector('[data-testid=download-state]');
      if (s && s.textContent.startsWith('Complete')) rec.completeAt = now();
    }
    for (const el of document.querySelectorAll('[data-testid=my-file] [data-testid=file-name]')) {
      const name = el.textContent.trim();
      if (!(name in rec.shared)) rec.shared[name] = now();
    }
  };
  document.addEventListener('change', (e) => { if (e.target && e.target.type === 'file') rec.changeAt = now(); }, true);
  const start = () => new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();`;

export async function pageRecord(page: Page): Promise<PageRecord> {
  return (await page.evaluate(() => (window as unknown as { __benchRecord: unknown }).__benchRecord)) as PageRecord;
}

/** Waits until the page recorder has seen `done(record)`; polls every 100 ms. */
export async function waitRecord(page: Page, done: (r: PageRecord) => boolean, timeoutMs: number, what: string): Promise<PageRecord> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await pageRecord(page);
    if (r && done(r)) return r;
    if (Date.now() > end) throw new Error(`${what}: not done within ${Math.round(timeoutMs / 1000)} s`);
    await page.waitForTimeout(100);
  }
}

/**
 * Download throughput from the page record, without connection set-up: from the moment the
 * page first showed a non-zero percentage to "Complete". Bytes counted: the part of the file
 * after that percentage (the percentage changes as soon as bytesDone crosses it, within a chunk).
 */
export function steadyThroughput(r: PageRecord, size: number): { bytes: number; ms: number; firstAt: number } {
  const first = r.percent.find(([, p]) => p > 0);
  if (!first || !r.completeAt) throw new Error('the download page recorded no progress');
  const [firstAt, p] = first;
  return { bytes: size * (1 - p / 100), ms: r.completeAt - firstAt, firstAt };
}
