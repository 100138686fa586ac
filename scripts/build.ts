/**
 * `npm run build`: builds the site into a fresh `builds/<stamp>/`, then makes it the current
 * build (`build -> builds/<stamp>`, swapped in one rename) and deletes the old builds that are
 * neither the one just replaced nor served by a running process (server/site-build.ts). A server
 * that runs meanwhile keeps serving the build it started with; a failed build changes nothing
 * (its directory is deleted and `build` still points at the build before). Builds in one
 * checkout take turns.
 *
 *   tsx scripts/build.ts        (no arguments; Vite's own options are in vite.config.ts)
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/lib/log.ts';
import { createBuildDir, lockSiteBuilds, pruneBuilds, publishBuild, siteBuildPaths } from '../server/site-build.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const log = createLogger('build');

if (process.argv.length > 2) {
  log.error(`scripts/build.ts takes no arguments, got ${JSON.stringify(process.argv.slice(2).join(' '))}`);
  process.exit(2);
}

/** Runs `vite build` with the adapter's output in `out`; resolves with its exit code. */
function viteBuild(out: string): Promise<number> {
  return new Promise((resolveRun) => {
    // SHOAL_BUILD_OUT is read by svelte.config.js (adapter-node's `out`).
    const child = spawn(process.execPath, [VITE, 'build'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, SHOAL_BUILD_OUT: out } });
    // Ctrl-C reaches vite through the terminal; a SIGTERM sent to this process alone is passed on.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onInt = forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    child.on('error', (err) => {
      log.error(`could not start vite: ${err.message}`);
      resolveRun(127);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolveRun(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15 }[signal as string] ?? 0) : 1));
    });
  });
}

const paths = siteBuildPaths(ROOT);
const unlock = await lockSiteBuilds(paths, {
  onWait: (pid) => log.info(`another build of this checkout is running${Number.isInteger(pid) ? ` (PID ${pid})` : ''}; waiting for it to finish`)
});
let status = 0;
try {
  const dir = createBuildDir(paths);
  const code = await viteBuild(relative(ROOT, dir));
  if (code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    log.error(`vite build failed (exit ${code}); ${relative(ROOT, paths.link)} still points at the build before`);
    status = code;
  } else {
    const replaced = publishBuild(paths, dir);
    const removed = pruneBuilds(paths, [replaced]);
    log.info(`build -> ${relative(ROOT, dir)}`, {
      ...(replaced ? { previous: relative(ROOT, replaced) } : {}),
      ...(removed.length > 0 ? { deleted: removed.join(',') } : {})
    });
  }
} catch (err) {
  log.error(err instanceof Error ? err.message : String(err), { code: (err as { code?: string }).code });
  status = 1;
} finally {
  unlock();
}
process.exit(status);
