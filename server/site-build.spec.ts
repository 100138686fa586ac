/**
 * The swap of builds (site-build.ts) on small fake builds in a temporary checkout: a handler that
 * serves one file of its own directory, like adapter-node's. The real `npm run build` under a
 * running server is tests/integration/site-build.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/lib/log.ts';
import { startShoalServer, type ShoalServer } from './shoal-server.ts';
import { createBuildDir, currentBuild, lockSiteBuilds, openSiteBuild, pruneBuilds, publishBuild, SiteBuildError, siteBuildPaths, type OpenSiteBuild, type SiteBuildPaths } from './site-build.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function checkout(): SiteBuildPaths {
  const root = mkdtempSync(join(tmpdir(), 'shoal-site-build-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  return siteBuildPaths(root);
}

/** A complete fake build: its handler answers every request with its own client/app.js. */
function fakeBuild(paths: SiteBuildPaths, content: string, now: Date): string {
  const dir = createBuildDir(paths, now);
  mkdirSync(join(dir, 'client'));
  writeFileSync(join(dir, 'client', 'app.js'), content);
  writeFileSync(
    join(dir, 'handler.js'),
    `import { createReadStream } from 'node:fs';
export const handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'text/javascript' });
  createReadStream(new URL('./client/app.js', import.meta.url)).pipe(res);
};
`
  );
  return dir;
}

async function serve(paths: SiteBuildPaths): Promise<{ site: OpenSiteBuild; server: ShoalServer }> {
  const site = await openSiteBuild(paths);
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-site-build-data-'));
  const server = await startShoalServer({ dataDir, handler: site.handler, log: silentLogger });
  cleanups.push(async () => {
    await server.close();
    site.release();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { site, server };
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 21, minute));

/** The PID of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('site builds: swap and serve', () => {
  it('a running server keeps serving the build it started with; a new one serves the new build', async () => {
    const paths = checkout();
    const a = fakeBuild(paths, 'build A', at(0));
    expect(publishBuild(paths, a)).toBeUndefined();
    expect(lstatSync(paths.link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(paths.link)).toBe(join('builds', basename(a)));

    const first = await serve(paths);
    expect(first.site.dir).toBe(realpathSync(a));
    expect(await (await fetch(`${first.server.url}/app.js`)).text()).toBe('build A');

    const b = fakeBuild(paths, 'build B', at(1));
    expect(publishBuild(paths, b)).toBe(realpathSync(a));
    expect(currentBuild(paths)).toBe(realpathSync(b));
    expect(await (await fetch(`${first.server.url}/app.js`)).text()).toBe('build A');

    const second = await serve(paths);
    expect(await (await fetch(`${second.server.url}/app.js`)).text()).toBe('build B');
    expect(await (await fetch(`${first.server.url}/app.js`)).text()).toBe('build A');
  });

  it('an incomplete build is refused and the current one stays', () => {
    const paths = checkout();
    const a = fakeBuild(paths, 'build A', at(0));
    publishBuild(paths, a);
    const broken = createBuildDir(paths, at(1));
    const err = (() => {
      try {
        publishBuild(paths, broken);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SiteBuildError);
    expect((err as SiteBuildError).code).toBe('BUILD_INCOMPLETE');
    expect(currentBuild(paths)).toBe(realpathSync(a));
  });

  it('no build: SITE_NOT_BUILT with what to run', async () => {
    const paths = checkout();
    await expect(openSiteBuild(paths)).rejects.toMatchObject({ code: 'SITE_NOT_BUILT', message: expect.stringContaining('npm run build') });
  });

  it('a build/ that is a real directory becomes the previous build, still on disk', async () => {
    const paths = checkout();
    mkdirSync(join(paths.link, 'client'), { recursive: true });
    writeFileSync(join(paths.link, 'client', 'app.js'), 'old build');
    writeFileSync(join(paths.link, 'handler.js'), 'export const handler = () => {};\n');
    const b = fakeBuild(paths, 'build B', at(1));
    const replaced = publishBuild(paths, b);
    expect(replaced).toBeDefined();
    expect(basename(replaced!)).toMatch(/^legacy-/);
    expect(readFileSync(join(replaced!, 'client', 'app.js'), 'utf8')).toBe('old build');
    expect(currentBuild(paths)).toBe(realpathSync(b));
    expect(pruneBuilds(paths, [replaced])).toEqual([]);
  });
});

describe('site builds: cleaning up', () => {
  it('keeps the current build, the one it replaced and those a living process serves; deletes the rest', async () => {
    const paths = checkout();
    const a = fakeBuild(paths, 'build A', at(0));
    publishBuild(paths, a);
    const served = await serve(paths); // serves A until released
    const b = fakeBuild(paths, 'build B', at(1));
    publishBuild(paths, b);
    const c = fakeBuild(paths, 'build C', at(2));
    const leftover = createBuildDir(paths, at(3)); // a build that crashed half-way
    const replacedB = publishBuild(paths, c);
    expect(pruneBuilds(paths, [replacedB])).toEqual([basename(leftover)]);
    expect(readdirSync(paths.builds).filter((n) => !n.startsWith('.')).sort()).toEqual([a, b, c].map((d) => basename(d)).sort());
    expect(await (await fetch(`${served.server.url}/app.js`)).text()).toBe('build A');

    // The server stops: A goes with the next build. A mark left by a process that died counts for nothing.
    await served.server.close();
    served.site.release();
    writeFileSync(join(paths.inUse, `${basename(b)}.${deadPid()}.1`), '');
    const d = fakeBuild(paths, 'build D', at(4));
    const replacedC = publishBuild(paths, d);
    expect(pruneBuilds(paths, [replacedC]).sort()).toEqual([a, b].map((dir) => basename(dir)).sort());
    expect(existsSync(c) && existsSync(d)).toBe(true);
    expect(readdirSync(paths.inUse)).toEqual([]);
  });

  it('a process that opens one build twice keeps it until both are released', async () => {
    const paths = checkout();
    const a = fakeBuild(paths, 'build A', at(0));
    publishBuild(paths, a);
    const one = await openSiteBuild(paths);
    const two = await openSiteBuild(paths);
    one.release();
    one.release();
    const b = fakeBuild(paths, 'build B', at(1));
    publishBuild(paths, b);
    const c = fakeBuild(paths, 'build C', at(2));
    expect(pruneBuilds(paths, [publishBuild(paths, c)])).toEqual([]);
    two.release();
    const d = fakeBuild(paths, 'build D', at(3));
    expect(pruneBuilds(paths, [publishBuild(paths, d)]).sort()).toEqual([a, b].map((dir) => basename(dir)).sort());
  });
});

describe('site builds: one at a time', () => {
  it('a second build waits for the first to give the lock back', async () => {
    const paths = checkout();
    const unlockFirst = await lockSiteBuilds(paths);
    const waiting: number[] = [];
    const second = lockSiteBuilds(paths, { onWait: (holder) => waiting.push(holder) });
    await vi.waitFor(() => expect(waiting).toEqual([process.pid]));
    unlockFirst();
    const unlockSecond = await second;
    expect(readFileSync(paths.lock, 'utf8')).toBe(`${process.pid}\n`);
    unlockSecond();
    expect(existsSync(paths.lock)).toBe(false);
  });

  it('a lock left by a process that died is taken over at once, also when its PID is ours now', async () => {
    for (const stalePid of [deadPid(), process.pid]) {
      const paths = checkout();
      mkdirSync(paths.builds);
      writeFileSync(paths.lock, `${stalePid}\n`);
      const waiting: number[] = [];
      const unlock = await lockSiteBuilds(paths, { onWait: (holder) => waiting.push(holder) });
      expect(waiting).toEqual([]);
      expect(readFileSync(paths.lock, 'utf8')).toBe(`${process.pid}\n`);
      unlock();
    }
  });
});
