/**
 * Multi-source downloads: one `shoal get`, and 1, 2, 4 and 8 `shoal seed` processes each held to
 * the same upload rate (--upload-limit), on loopback (TCP, LAN discovery by broadcast). The file
 * grows with the number of seeders so that every run lasts about as long. The reference for N
 * seeders is N times the one-seeder throughput measured in the same run: linear speed-up.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bench } from './lib/context.ts';
import { writePrngFile } from './lib/prng-file.ts';
import { notRun, type BenchRow } from './lib/report.ts';
import { cliUnavailable, loopbackLan, randomLanPort, ShoalProcess } from './lib/shoal-cli.ts';
import { MiB, mibPerSecond } from './lib/stats.ts';
import { shoalGet } from './tcp-node.bench.ts';

/** Upload limit of every seeder: well below what one loopback connection carries, so the limit is what binds. */
const SEEDER_RATE_MIB = 2;

const bench: Bench = async ({ quick, tmp, log }) => {
  const counts = quick ? [1, 4] : [1, 2, 4, 8];
  const seconds = quick ? 3 : 10;
  const name = (n: number) => `Multi-source: ${n} seeder${n === 1 ? '' : 's'} at ${SEEDER_RATE_MIB} MiB/s each`;
  const refLabel = (n: number) => (n === 1 ? `the seeders' upload limit` : `${n} × the 1-seeder throughput (linear)`);
  const unavailable = cliUnavailable();
  if (unavailable) return counts.map((n) => notRun('multi-source', name(n), refLabel(n), unavailable));
  const rows: BenchRow[] = [];
  let single = 0;
  for (const n of counts) {
    const size = n * SEEDER_RATE_MIB * seconds * MiB;
    const dir = join(tmp, `n${n}`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `multi-${n}.bin`);
    await writePrngFile(path, size, `multi-${n}`);
    const lan = loopbackLan(randomLanPort());
    const seeders = Array.from(
      { length: n },
      (_, i) => new ShoalProcess(['seed', path, '--data-dir', join(dir, `seeder-${i}`), '--upload-limit', `${SEEDER_RATE_MIB}M`, ...lan])
    );
    try {
      const shared = await Promise.all(seeders.map((s) => s.waitFor((e) => e.event === 'shared', 5 * 60_000, 'shoal seed hashing')));
      await Promise.all(seeders.map((s) => s.waitFor((e) => e.event === 'seeding', 60_000, 'shoal seed')));
      const out = join(dir, 'out');
      await mkdir(out, { recursive: true });
      const g = await shoalGet(String(shared[0].id), size, join(dir, 'getter'), out, lan, 10 * 60_000);
      const rate = mibPerSecond(g.steadyBytes, g.steadyMs);
      if (n === 1) single = rate;
      const ideal = n === 1 ? SEEDER_RATE_MIB : n * single;
      log(`${n} seeder(s): ${rate.toFixed(2)} MiB/s (ideal ${ideal.toFixed(2)})`);
      rows.push({
        bench: 'multi-source',
        name: name(n),
        shoal: { value: rate, unit: 'MiB/s' },
        reference: { value: ideal, unit: 'MiB/s' },
        referenceLabel: refLabel(n),
        ratio: ideal > 0 ? rate / ideal : null,
        ratioMeaning: n === 1 ? 'Shoal ÷ limit; 1 = the limit is reached' : `Shoal ÷ linear; speed-up ${single > 0 ? (rate / single).toFixed(2) : '—'}× (ideal ${n}×)`,
        note: `${size / MiB} MiB file; timed from the first progress line with bytes to done`,
        details: { n, size, rate, single, totalMs: g.totalMs, progress: g.progress }
      });
    } catch (err) {
      rows.push(notRun('multi-source', name(n), refLabel(n), (err as Error).message));
    } finally {
      await Promise.all(seeders.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
};

export default bench;
