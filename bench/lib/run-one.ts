/**
 * Runs one benchmark in its own process (so memory figures and crashes stay its own):
 *   tsx bench/lib/run-one.ts <name> [--quick] --out <file.json>
 * Imports bench/<name>.bench.ts, runs it with a temporary directory and writes its rows as JSON.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench } from './context.ts';
import { notRun, type BenchRow } from './report.ts';

const args = process.argv.slice(2);
const name = args[0];
const quick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : undefined;
if (!name || !/^[a-z0-9-]+$/.test(name) || !out) {
  process.stderr.write('usage: tsx bench/lib/run-one.ts <name> [--quick] --out <file.json>\n');
  process.exit(2);
}

const tmp = await mkdtemp(join(tmpdir(), `shoal-bench-${name}-`));
// Stopped by the runner (time limit, Ctrl-C): the big test files go with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}
const log = (m: string) => process.stderr.write(`  [${name}] ${m}\n`);
let rows: BenchRow[];
let failed = false;
try {
  const mod = (await import(pathToFileURL(join(import.meta.dirname, '..', `${name}.bench.ts`)).href)) as { default: Bench };
  rows = await mod.default({ quick, tmp, log });
} catch (err) {
  failed = true;
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  rows = [notRun(name, name, '', `crashed: ${(err as Error).message}`)];
} finally {
  await rm(tmp, { recursive: true, force: true });
}
await writeFile(out, JSON.stringify({ rows }, null, 2));
// Native libraries (node-datachannel) and stray handles must not keep the process alive.
process.exit(failed ? 1 : 0);
