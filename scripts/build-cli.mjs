#!/usr/bin/env node
// Compiles the `shoal` CLI (cli/main.ts and what it imports from src/lib) to plain JavaScript in
// dist/, so the command starts without compiling TypeScript (tsx) on every run.
//
//   node scripts/build-cli.mjs          (run by `npm run build` and by npm install's `prepare`)
//
// Output: dist/main.mjs (the entry; each command stays its own chunk, loaded when it runs, as
// cli/main.ts asks), dist/chunks/*.mjs, source maps, and dist/inputs.json: every source file that
// went into the bundle with its size and mtime. cli/bin.mjs runs dist/main.mjs only while every
// one of those files is unchanged, and otherwise falls back to the TypeScript sources through
// tsx, so an edited checkout never runs stale code. npm packages stay external (resolved from
// node_modules at run time, as before). dist/ lives at the repository's top level so that
// `new URL('../package.json', import.meta.url)` in cli/main.ts still finds package.json.
//
// The build is written to a fresh directory beside dist/ and renamed into place, so a `shoal`
// that starts while a build runs sees either the old build or the new one, never half of one.

import { build } from 'esbuild';
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');

const started = performance.now();
const staging = mkdtempSync(join(ROOT, '.dist-'));
try {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'cli/main.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning'
  });
  const inputs = Object.keys(result.metafile.inputs)
    .sort()
    .map((path) => {
      const st = statSync(join(ROOT, path));
      return { path, size: st.size, mtimeMs: st.mtimeMs };
    });
  writeFileSync(join(staging, 'inputs.json'), `${JSON.stringify({ inputs }, null, 1)}\n`);
  // Swap: the old build moves aside in one rename, the new one takes its place in another.
  const old = existsSync(OUT) ? `${staging}-old` : null;
  if (old) renameSync(OUT, old);
  renameSync(staging, OUT);
  if (old) rmSync(old, { recursive: true, force: true });
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`build-cli: dist/main.mjs from ${inputs.length} source files in ${ms} ms\n`);
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`build-cli: ${error.message}\n`);
  process.exit(1);
}
