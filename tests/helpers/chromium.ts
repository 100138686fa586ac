// Test helpers to drive Debian's Chromium through playwright-core.
//
// Every test that opens a WebRTC connection must run inside the private network namespace made
// by scripts/netns-run.mjs (npm run test:e2e does that): Chromium needs a non-loopback address
// and a default route to gather ICE candidates, and on the host's interfaces it would send mDNS
// off the machine. launchChromium() therefore refuses to start outside the namespace.

import { accessSync, constants as fsConstants } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, BrowserContextOptions, LaunchOptions, Page } from 'playwright-core';

/** Debian's package puts its launcher here (apt-get install -y chromium). */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Features Playwright itself disables (copied from playwright-core 1.65.1,
 * src/server/chromium/chromiumSwitches.ts). Chromium honours only the LAST `--disable-features`
 * switch on its command line, so ours must repeat Playwright's list or it would switch those
 * back on. tests/e2e/webrtc-harness.test.ts checks that this list still covers Playwright's.
 */
export const PLAYWRIGHT_DISABLED_FEATURES: readonly string[] = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion'
];

/**
 * Features the tests disable on top of Playwright's. WebRtcHideLocalIpsWithMdns: ICE candidates
 * carry plain addresses instead of `.local` names (Node peers cannot resolve those, and resolving
 * them means multicast DNS). Translate: no translation service lookups.
 */
export const SHOAL_DISABLED_FEATURES: readonly string[] = ['WebRtcHideLocalIpsWithMdns', 'Translate'];

/**
 * Flags for a quiet headless Chromium that contacts nothing by itself. --no-sandbox: tests run as
 * root inside a network namespace, where Chromium's sandbox cannot start. The rest stop
 * background traffic (updates, sync, QUIC probing). `--disable-features` is added by
 * launchChromium(), merged into one switch (see PLAYWRIGHT_DISABLED_FEATURES).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-domain-reliability',
  '--disable-breakpad',
  '--no-first-run',
  '--no-default-browser-check',
  '--metrics-recording-only'
];

const DISABLE_FEATURES = '--disable-features=';

/**
 * The full argument list for launchChromium(): CHROMIUM_ARGS, then `extra`, with every
 * `--disable-features=` (Playwright's, ours, and any in `extra`) merged into one final switch.
 */
export function chromiumArgs(extra: readonly string[] = []): string[] {
  const features = new Set([...PLAYWRIGHT_DISABLED_FEATURES, ...SHOAL_DISABLED_FEATURES]);
  const rest: string[] = [];
  for (const arg of [...CHROMIUM_ARGS, ...extra]) {
    if (arg.startsWith(DISABLE_FEATURES)) {
      for (const f of arg.slice(DISABLE_FEATURES.length).split(',')) if (f) features.add(f);
    } else {
      rest.push(arg);
    }
  }
  return [...rest, DISABLE_FEATURES + [...features].join(',')];
}

export class ChromiumHarnessError extends Error {
  readonly code: 'CHROMIUM_NOT_FOUND' | 'NOT_IN_NETNS';
  constructor(code: ChromiumHarnessError['code'], message: string) {
    super(message);
    this.name = 'ChromiumHarnessError';
    this.code = code;
  }
}

/** The Chromium executable the tests use: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/** Throws unless the Chromium executable exists and is executable. */
export function assertChromiumInstalled(path: string = chromiumPath()): void {
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    throw new ChromiumHarnessError(
      'CHROMIUM_NOT_FOUND',
      `Chromium not found at ${path}; install Debian's chromium: apt-get install -y chromium, ` +
        'or set CHROMIUM_PATH'
    );
  }
}

/** Throws unless this process runs inside the namespace made by scripts/netns-run.mjs. */
export function assertInsideNetns(): void {
  if (process.env.SHOAL_NETNS !== '1') {
    throw new ChromiumHarnessError(
      'NOT_IN_NETNS',
      'Refusing to launch Chromium outside a private network namespace (SHOAL_NETNS is not "1"): ' +
        'WebRTC tests must never use the host network. Run them through ' +
        '`node scripts/netns-run.mjs npx vitest run --project e2e` (npm run test:e2e).'
    );
  }
}

export interface LaunchChromiumOptions {
  /** Extra command-line flags, appended to CHROMIUM_ARGS (`--disable-features` are merged). */
  args?: string[];
  /** Other playwright launch options (executablePath, headless and args are set here). */
  launch?: Omit<LaunchOptions, 'executablePath' | 'headless' | 'args'>;
}

/** Launches headless Chromium, inside the test network namespace only. */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  assertInsideNetns();
  const executablePath = chromiumPath();
  assertChromiumInstalled(executablePath);
  return chromium.launch({
    ...options.launch,
    executablePath,
    headless: true,
    args: chromiumArgs(options.args)
  });
}

/**
 * Opens `count` browser contexts: each is its own profile (storage, IndexedDB, cookies), like
 * separate people on separate machines.
 */
export async function newIsolatedContexts(
  browser: Browser,
  count: number,
  options: BrowserContextOptions = {}
): Promise<BrowserContext[]> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be >= 1, got ${count}`);
  const contexts: BrowserContext[] = [];
  try {
    for (let i = 0; i < count; i++) contexts.push(await browser.newContext(options));
  } catch (error) {
    await Promise.allSettled(contexts.map((c) => c.close()));
    throw error;
  }
  return contexts;
}

/** Like newIsolatedContexts, with one page opened in each context. */
export async function newIsolatedPages(
  browser: Browser,
  count: number,
  options: BrowserContextOptions = {}
): Promise<Page[]> {
  const contexts = await newIsolatedContexts(browser, count, options);
  try {
    return await Promise.all(contexts.map((c) => c.newPage()));
  } catch (error) {
    await Promise.allSettled(contexts.map((c) => c.close()));
    throw error;
  }
}

export interface PageErrorCollector {
  /** Every console error, uncaught exception and crash seen so far, oldest first. */
  readonly errors: readonly string[];
  /** Throws one Error listing all collected errors, if any. */
  assertNone(): void;
  /** Stops listening. Safe to call twice. */
  dispose(): void;
}

export interface CollectPageErrorsOptions {
  /** Console messages matching one of these are not errors (e.g. an expected 404). */
  ignore?: RegExp[];
  /** Label used in messages; defaults to the page's URL at the time of the error. */
  label?: string;
}

/**
 * Collects a page's console errors (`console.error`, failed resource loads), uncaught exceptions
 * and crashes so that a test can fail on them: `expect(collector.errors).toEqual([])` or
 * `collector.assertNone()`.
 */
export function collectPageErrors(page: Page, options: CollectPageErrorsOptions = {}): PageErrorCollector {
  const errors: string[] = [];
  const ignore = options.ignore ?? [];
  const label = () => options.label ?? page.url();

  const onConsole = (msg: import('playwright-core').ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (ignore.some((re) => re.test(text))) return;
    const loc = msg.location();
    const where = loc.url ? ` (${loc.url}:${loc.lineNumber}:${loc.columnNumber})` : '';
    errors.push(`[${label()}] console.error: ${text}${where}`);
  };
  const onPageError = (error: Error) => {
    if (ignore.some((re) => re.test(error.message))) return;
    errors.push(`[${label()}] uncaught: ${error.stack ?? error.message}`);
  };
  const onCrash = () => errors.push(`[${label()}] page crashed`);

  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  page.on('crash', onCrash);

  let disposed = false;
  return {
    get errors() {
      return errors;
    },
    assertNone() {
      if (errors.length > 0) {
        throw new Error(`${errors.length} page error(s):\n${errors.join('\n')}`);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      page.off('console', onConsole);
      page.off('pageerror', onPageError);
      page.off('crash', onCrash);
    }
  };
}
