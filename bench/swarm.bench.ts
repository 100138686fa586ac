/**
 * A small flash crowd: the swarm experiment (bench/swarm/main.ts, the same as `npm run swarm`)
 * with one seeder and N downloaders arriving together, every peer upload-limited. The reference
 * is the fluid lower bound of that crowd, max(F/u_seed, N·F/(u_seed + Σu)) (DESIGN.md): no swarm
 * can finish sooner. A second row gives the share of all bytes that downloaders uploaded.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bench } from './lib/context.ts';
import { notRun, type BenchRow } from './lib/report.ts';
import { percentile } from './lib/stats.ts';
import { fluidBound, type SwarmRecord } from './swarm/plots.ts';

const bench: Bench = async ({ quick, tmp, log }) => {
  const downloaders = quick ? 5 : 19;
  const sizeMiB = quick ? 8 : 32;
  const what = `1 seeder + ${downloaders} downloaders, ${sizeMiB} MiB, 4 MiB/s each`;
  const names = [`Swarm, ${what}: completion p90`, `Swarm, ${what}: bytes uploaded by downloaders`];
  const refs = ['fluid lower bound max(F/u_seed, N·F/(u_seed+Σu))', 'all bytes uploaded'];
  const out = join(tmp, 'swarm');
  const args = ['--import', 'tsx', join(import.meta.dirname, 'swarm', 'main.ts'), '--peers', String(downloaders + 1), '--seeders', '1', '--files', '1', '--size', `${sizeMiB}M`, '--upload-limit', '4M', '--timeout', '300', '--out', out];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => log(b.toString().trimEnd()));
    child.stderr.on('data', (b: Buffer) => log(b.toString().trimEnd()));
    child.on('exit', (c) => resolve(c));
  });
  if (code !== 0) return names.map((n, i) => notRun('swarm', n, refs[i], `the swarm experiment exited with ${code}`));
  const r = JSON.parse(await readFile(join(out, 'swarm.json'), 'utf8')) as SwarmRecord;
  const times = r.peers.flatMap((p) => Object.values(p.completions).map((c) => c.ms / 1000));
  if (times.length < downloaders) return names.map((n, i) => notRun('swarm', n, refs[i], `${r.outcome}`));
  const p90 = percentile(times, 90);
  const bound = fluidBound(r.config)!;
  const up = (p: SwarmRecord['peers'][number]) => p.final?.bytesUp ?? p.last?.bytesUp ?? 0;
  const total = r.peers.reduce((n, p) => n + up(p), 0);
  const byDownloaders = r.peers.filter((p) => p.role === 'leecher').reduce((n, p) => n + up(p), 0);
  const rows: BenchRow[] = [
    {
      bench: 'swarm',
      name: names[0],
      shoal: { value: p90, unit: 's' },
      reference: { value: bound, unit: 's' },
      referenceLabel: refs[0],
      ratio: p90 / bound,
      ratioMeaning: 'Shoal ÷ bound; 1 = as fast as physics allows (the issue asks ≤ 2.5)',
      note: `p50 ${percentile(times, 50).toFixed(1)} s; ${r.outcome}`,
      details: { times, bound, config: r.config }
    },
    {
      bench: 'swarm',
      name: names[1],
      shoal: { value: byDownloaders / 2 ** 20, unit: 'MiB' },
      reference: { value: total / 2 ** 20, unit: 'MiB' },
      referenceLabel: refs[1],
      ratio: total > 0 ? byDownloaders / total : null,
      ratioMeaning: 'share uploaded by downloaders; 0 = a central server (the issue asks ≥ 0.75)',
      details: { byDownloaders, total }
    }
  ];
  return rows;
};

export default bench;
