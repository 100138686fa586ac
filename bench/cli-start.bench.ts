/**
 * The CLI's own start-up: wall time of `shoal --version` (cli/bin.mjs, the compiled CLI in dist/
 * that `npm run build` makes) against `node -e 1`, the least any Node program costs here. Both
 * run the same number of times, interleaved, and the medians are compared. A second row shows the
 * same command from the TypeScript sources through tsx (SHOAL_FROM_SOURCE=1), what every start
 * cost before the CLI shipped compiled JavaScript.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Bench } from './lib/context.ts';
import { notRun, type BenchRow } from './lib/report.ts';
import { median, nowMs } from './lib/stats.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.mjs');

function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = nowMs();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = nowMs() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return ms;
}

function row(name: string, shoalMs: number, refMs: number, note: string, details: Record<string, unknown>): BenchRow {
  return {
    bench: 'cli-start',
    name,
    shoal: { value: shoalMs, unit: 'ms' },
    reference: { value: refMs, unit: 'ms' },
    referenceLabel: '`node -e 1`, same run, interleaved',
    ratio: refMs > 0 ? shoalMs / refMs : null,
    ratioMeaning: 'Shoal ÷ reference; 1 = no cost beyond starting Node (target ≤ 2)',
    note,
    details
  };
}

const bench: Bench = async ({ quick, log }) => {
  const reps = quick ? 5 : 15;
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) return [notRun('cli-start', 'CLI start-up, `shoal --version`', '`node -e 1`', `build-cli failed: ${build.stderr.trim()}`)];
  const fromSource = { ...process.env, SHOAL_FROM_SOURCE: '1' };
  // One untimed run of each: files in the page cache.
  wallMs(['-e', '1']);
  wallMs([BIN, '--version']);
  wallMs([BIN, '--version'], fromSource);
  const ref: number[] = [];
  const compiled: number[] = [];
  const source: number[] = [];
  for (let i = 0; i < reps; i++) {
    ref.push(wallMs(['-e', '1']));
    compiled.push(wallMs([BIN, '--version']));
    source.push(wallMs([BIN, '--version'], fromSource));
  }
  log(`node -e 1 ${median(ref).toFixed(0)} ms, compiled ${median(compiled).toFixed(0)} ms, from source ${median(source).toFixed(0)} ms`);
  const note = `median of ${reps} runs each, interleaved`;
  return [
    row('CLI start-up, `shoal --version` (compiled, dist/)', median(compiled), median(ref), note, { ref, compiled }),
    row('CLI start-up, `shoal --version` from the sources (tsx)', median(source), median(ref), `${note}; what every start cost before dist/`, { ref, source })
  ];
};

export default bench;
