/**
 * `npm run build` while `npm run serve` runs (as on `git pull && npm run build`): the running
 * server goes on serving whole pages (the HTML and every asset it references, non-empty), and a
 * server started after the build serves the new one. Runs the real build script twice at most
 * (once first if this checkout has no build yet). The swap itself, on small fake builds, is
 * server/site-build.spec.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBuild, siteBuildPaths } from '../../server/site-build.ts';
import { startTrackerProcess, type TrackerProcess } from '../helpers/tracker-process.ts';

/** A vite build takes 15-60 s on the 2-core CI machine, more while other tests run beside it. */
const BUILD_TIMEOUT_MS = 240_000;
const paths = siteBuildPaths(resolve('.'));
const servers: TrackerProcess[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
});

/**
 * The environment of a person's shell: without what Vitest sets for its tests (NODE_ENV=test would
 * make Vite build with the development flavour of Svelte, and this build is the one the e2e
 * tests run on next).
 */
function shellEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VITEST') || ['NODE_ENV', 'TEST', 'DEV', 'PROD', 'SSR', 'MODE', 'BASE_URL'].includes(key)) delete env[key];
  }
  return env;
}

/** `npm run build`, as a person runs it; rejects with its output if it fails. */
function npmRunBuild(): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: resolve('.'), stdio: ['ignore', 'pipe', 'pipe'], env: shellEnv() });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveBuild() : reject(new Error(`npm run build exited ${code}:\n${output.slice(-4000)}`))));
  });
}

interface LoadedPage {
  html: string;
  /** Every asset URL of the page (scripts, styles, preloads), with its body. */
  assets: Map<string, Buffer>;
}

/** Loads a page the way a browser would start to: the HTML, then every `_app/immutable/` file it names. */
async function loadPage(url: string): Promise<LoadedPage> {
  const res = await fetch(url);
  expect(res.status, `GET ${url}`).toBe(200);
  const html = await res.text();
  const urls = new Set([...html.matchAll(/[^"'\s()]*_app\/immutable\/[^"'\s()]+/g)].map((m) => new URL(m[0], url).href));
  expect(urls.size, `asset references in ${url}`).toBeGreaterThan(0);
  const assets = new Map<string, Buffer>();
  for (const asset of urls) assets.set(asset, await fetchAsset(asset));
  return { html, assets };
}

async function fetchAsset(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status, `GET ${url}`).toBe(200);
  const body = Buffer.from(await res.arrayBuffer());
  expect(body.length, `GET ${url}: empty body`).toBeGreaterThan(0);
  return body;
}

describe('npm run build under a running server', () => {
  it(
    'the running server keeps serving whole pages of the build it started with; a new server serves the new build',
    async () => {
      // No build yet, or a build/ from before builds/ existed (the first build moves it): build first.
      if (!existsSync(join(paths.link, 'handler.js')) || !lstatSync(paths.link).isSymbolicLink()) await npmRunBuild();
      const server = await startTrackerProcess({ site: true });
      servers.push(server);
      const before = await loadPage(`${server.url}/`);
      const served = currentBuild(paths);

      await npmRunBuild();

      // The same page loads again on the running server, whole: the HTML its handler renders now
      // and every asset in it, and every asset of the page loaded before the build.
      const again = await loadPage(`${server.url}/`);
      expect([...again.assets.keys()].sort()).toEqual([...before.assets.keys()].sort());
      for (const [url, body] of before.assets) expect((await fetchAsset(url)).equals(body), url).toBe(true);
      for (const [url, body] of again.assets) expect(body.equals(before.assets.get(url)!), url).toBe(true);
      // Another page of the site, first loaded after the build.
      await loadPage(`${server.url}/tracker`);

      // The build is a new directory; the one the server started with is still on disk.
      const now = currentBuild(paths);
      expect(now).toBeDefined();
      expect(now).not.toBe(served);
      expect(existsSync(join(served!, 'handler.js'))).toBe(true);

      // A server started now serves the new build, whole.
      const fresh = await startTrackerProcess({ site: true });
      servers.push(fresh);
      expect(fresh.log()).toContain(`site=builds/${basename(now!)}`);
      await loadPage(`${fresh.url}/`);
    },
    3 * BUILD_TIMEOUT_MS
  );
});
