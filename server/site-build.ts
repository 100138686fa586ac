/**
 * The built site on disk, and how a new build replaces it without breaking a server that runs.
 *
 * `npm run build` (scripts/build.ts) builds into a fresh directory `builds/<stamp>/` and, once
 * the build is complete, points the symlink `build -> builds/<stamp>` at it with one rename, which
 * is atomic: whoever opens `build` sees the old build or the new one, never half of one. A server
 * resolves the link once, at start, and serves that directory for as long as it runs, so its
 * handler (loaded into memory at start) and the client files it hands out stay one build. It marks
 * the directory in use (`builds/.in-use/<stamp>.<pid>.<n>`); after each build the build script deletes
 * the builds that are neither the current one, nor the one it replaced, nor served by a living
 * process. A restart serves the newest build.
 *
 * Builds in one checkout take turns (`builds/.lock`): SvelteKit and Vite share `.svelte-kit/`
 * between them, so two at once would mix their output.
 */
import { closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { SITE_BUILD_LOCK_POLL_MS } from './constants.ts';
import type { RequestHandler } from './shoal-server.ts';

export type SiteBuildErrorCode = 'SITE_NOT_BUILT' | 'BUILD_INCOMPLETE' | 'BAD_BUILD';

export class SiteBuildError extends Error {
  constructor(
    readonly code: SiteBuildErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'SiteBuildError';
  }
}

/** Where one checkout keeps its builds. */
export interface SiteBuildPaths {
  /** The symlink to the current build: `<root>/build` (adapter-node's usual place). */
  readonly link: string;
  /** Every build, one directory each: `<root>/builds`. */
  readonly builds: string;
  /** One empty file per opening of a build by a process that serves it: `<root>/builds/.in-use`. */
  readonly inUse: string;
  /** Held by the build that runs: `<root>/builds/.lock`, holding its PID. */
  readonly lock: string;
}

export function siteBuildPaths(root: string): SiteBuildPaths {
  const builds = join(root, 'builds');
  return { link: join(root, 'build'), builds, inUse: join(builds, '.in-use'), lock: join(builds, '.lock') };
}

/** True if a process with this PID exists (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** `20261201T213500123Z-<pid>`: sorts by time, unique per process and millisecond. */
function stamp(now: Date, pid: number): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${pid}`;
}

// ---------------------------------------------------------------------------------------------
// Building

/**
 * Takes the checkout's build lock, waiting while another living process holds it (a lock left by
 * a process that died is taken over). Returns the function that gives it back.
 */
/** The lock files this process holds (a lock naming this PID but not in here is a stale one). */
const heldLocks = new Set<string>();

export async function lockSiteBuilds(paths: SiteBuildPaths, opts: { signal?: AbortSignal; onWait?: (holder: number) => void } = {}): Promise<() => void> {
  mkdirSync(paths.builds, { recursive: true });
  let told = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const fd = openSync(paths.lock, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldLocks.add(paths.lock);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldLocks.delete(paths.lock);
        rmSync(paths.lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(paths.lock, 'utf8'), 10);
    } catch (err) {
      if (!isMissing(err)) throw err;
      continue; // given back between our open and our read
    }
    // No PID yet (the holder is between creating the file and writing it) counts as alive; our
    // own PID on a lock we do not hold was left by a process that died and whose PID we reuse.
    const stale = Number.isInteger(holder) && holder > 0 && (holder === process.pid ? !heldLocks.has(paths.lock) : !alive(holder));
    if (stale) {
      takeOverStaleLock(paths.lock, holder);
      continue;
    }
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await sleep(SITE_BUILD_LOCK_POLL_MS, undefined, { signal: opts.signal });
  }
}

/**
 * Removes a lock judged stale (its holder `holder` is gone). Another waiter may have taken it
 * over since we read it: the lock is moved aside first (one rename, so only one waiter gets it)
 * and put back if it is not the stale one after all.
 */
function takeOverStaleLock(lock: string, holder: number): void {
  const aside = `${lock}.stale.${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch (err) {
    if (isMissing(err)) return; // someone else moved it first
    throw err;
  }
  if (Number.parseInt(readFileSync(aside, 'utf8'), 10) !== holder) {
    try {
      linkSync(aside, lock); // a fresh lock: give it back (fails if yet another was made meanwhile)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  rmSync(aside, { force: true });
}

/** Makes the empty directory a new build goes into: `builds/<stamp>`. */
export function createBuildDir(paths: SiteBuildPaths, now = new Date()): string {
  mkdirSync(paths.builds, { recursive: true });
  const dir = join(paths.builds, stamp(now, process.pid));
  mkdirSync(dir);
  return dir;
}

/** The build `build` points at (its real path), or undefined if there is none. */
export function currentBuild(paths: SiteBuildPaths): string | undefined {
  try {
    return realpathSync(paths.link);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Makes `dir` (a complete build under `builds/`) the current one: `build` is replaced by a
 * symlink to it in one rename. A `build` that is a real directory (built before builds/ existed,
 * or by a bare `vite build`) is first moved into builds/ like any other build. Returns the real
 * path of the build it replaced, if any.
 */
export function publishBuild(paths: SiteBuildPaths, dir: string): string | undefined {
  if (!existsSync(join(dir, 'handler.js'))) {
    throw new SiteBuildError('BUILD_INCOMPLETE', `${dir} has no handler.js: the build did not finish, so ${paths.link} still points at the build before.`);
  }
  let replaced: string | undefined;
  try {
    const st = lstatSync(paths.link);
    if (st.isSymbolicLink()) replaced = currentBuild(paths);
    else if (st.isDirectory()) {
      replaced = join(paths.builds, `legacy-${stamp(st.mtime, process.pid)}`);
      renameSync(paths.link, replaced);
    } else {
      throw new SiteBuildError('BAD_BUILD', `${paths.link} is neither a directory nor a symlink to one; move it away and build again.`);
    }
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const tmp = join(dirname(paths.link), `.${basename(paths.link)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(relative(dirname(paths.link), dir), tmp, 'dir');
  renameSync(tmp, paths.link);
  return replaced;
}

/**
 * Deletes every build under builds/ except the current one, those in `keep` and those a living
 * process serves; drops the in-use marks of processes that are gone. Returns the names deleted.
 */
export function pruneBuilds(paths: SiteBuildPaths, keep: readonly (string | undefined)[] = []): string[] {
  const kept = new Set<string>();
  for (const dir of [currentBuild(paths), ...keep]) if (dir) kept.add(basename(dir));
  let marks: string[] = [];
  try {
    marks = readdirSync(paths.inUse);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  for (const mark of marks) {
    const [name, pidText] = mark.split('.');
    const pid = Number(pidText);
    if (name && Number.isInteger(pid) && pid > 0 && alive(pid)) kept.add(name);
    else rmSync(join(paths.inUse, mark), { force: true });
  }
  const removed: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(paths.builds);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  for (const name of entries) {
    if (name.startsWith('.') || kept.has(name)) continue;
    rmSync(join(paths.builds, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Serving

export interface OpenSiteBuild {
  /** The real directory served, `builds/<stamp>` (never the `build` link). */
  readonly dir: string;
  readonly handler: RequestHandler;
  /**
   * Why the build could not be marked in use, if it could not (the checkout is read-only to this
   * process): then a build two builds later deletes it while it is served.
   */
  readonly unmarked?: Error;
  /** Drops this process's in-use mark. Idempotent. */
  release(): void;
}

/** Numbers this process's in-use marks. */
let openings = 0;

/**
 * Resolves `build` once and loads that build's handler, marked in use by this process so that
 * later builds leave it on disk while this process serves it.
 */
export async function openSiteBuild(paths: SiteBuildPaths): Promise<OpenSiteBuild> {
  const dir = currentBuild(paths);
  if (!dir || !existsSync(join(dir, 'handler.js'))) {
    throw new SiteBuildError('SITE_NOT_BUILT', `The site is not built (${join(paths.link, 'handler.js')} is missing). Run \`npm run build\` first, or \`npm start\` to build and serve.`);
  }
  let mark: string | undefined;
  let unmarked: Error | undefined;
  // A build outside builds/ (a bare `vite build` writes a real build/) is never pruned: no mark.
  if (dirname(dir) === currentBuildsDir(paths)) {
    // One mark per opening, so one process serving a build twice (tests) keeps it until both end.
    const path = join(paths.inUse, `${basename(dir)}.${process.pid}.${++openings}`);
    try {
      mkdirSync(paths.inUse, { recursive: true });
      writeFileSync(path, '');
      mark = path;
    } catch (err) {
      // A checkout this process may only read (a service user): serve anyway, and say so.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
      unmarked = new Error(`${code}: cannot write ${path}`);
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    if (mark) rmSync(mark, { force: true });
  };
  try {
    const mod = (await import(pathToFileURL(join(dir, 'handler.js')).href)) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new SiteBuildError('BAD_BUILD', `${join(dir, 'handler.js')} does not export a handler: rebuild with \`npm run build\`.`);
    return { dir, handler: mod.handler as RequestHandler, unmarked, release };
  } catch (err) {
    release();
    throw err;
  }
}

function currentBuildsDir(paths: SiteBuildPaths): string {
  try {
    return realpathSync(paths.builds);
  } catch {
    return paths.builds;
  }
}
