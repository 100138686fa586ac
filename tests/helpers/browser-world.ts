/**
 * Test helper for browser test files: the app, one Chromium, its tabs and a scratch directory,
 * set up before the file's tests and torn down after them (the same lines every e2e file had).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { peerTabs, startTestApp, type PeerTabs, type TestApp } from './app.ts';
import { launchChromium } from './chromium.ts';

/** What a browser test file works with: the app, one Chromium, its tabs and a scratch directory. */
export interface BrowserWorld {
  readonly app: TestApp;
  readonly browser: Browser;
  readonly tabs: PeerTabs;
  /** A temporary directory for the test's files, removed after the file's tests. */
  readonly dir: string;
}

/**
 * Starts the app and Chromium before the file's tests (registered with beforeAll, so call it at
 * the top level, before the file's own hooks) and closes tabs, browser and app and removes the
 * directory after them. `ignore`: page errors the file expects.
 */
export function browserWorld(name: string, ignore: RegExp[] = []): BrowserWorld {
  let app: TestApp | undefined;
  let browser: Browser | undefined;
  let tabs: PeerTabs | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `shoal-e2e-${name}-`));
    app = await startTestApp();
    browser = await launchChromium();
    tabs = peerTabs(browser, app.url, ignore);
  });
  afterAll(async () => {
    await tabs?.close();
    await browser?.close();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`browserWorld: ${what} is used before the file's beforeAll ran`);
    return value;
  };
  return {
    get app() {
      return ready(app, 'app');
    },
    get browser() {
      return ready(browser, 'browser');
    },
    get tabs() {
      return ready(tabs, 'tabs');
    },
    get dir() {
      return ready(dir, 'dir');
    }
  };
}
