/**
 * Node peer → browser over WebRTC: `shoal seed` (node-datachannel under simple-peer, signalled
 * through the tracker) serving a tab that downloads through the real UI, against a raw channel
 * opened by the same library from Node to a raw page, blasting the same bytes with the same
 * message size and backpressure.
 */
import { join } from 'node:path';
import { startBenchApp } from './lib/app.ts';
import type { Bench } from './lib/context.ts';
import { writePrngFile } from './lib/prng-file.ts';
import { rawNodeToBrowser, startRawServer } from './lib/raw-channel.ts';
import { notRun, throughputRow, type BenchRow } from './lib/report.ts';
import { cliUnavailable, ShoalProcess } from './lib/shoal-cli.ts';
import { downloadThroughUi, PageSet } from './lib/shoal-ui.ts';
import { median, MiB, mibPerSecond } from './lib/stats.ts';

const bench: Bench = async ({ quick, tmp, log }) => {
  const size = (quick ? 16 : 256) * MiB;
  const rowName = `Node → browser, WebRTC, ${size / MiB} MiB`;
  const refLabel = 'raw node-datachannel channel from Node to a page, same bytes, 64 KiB messages, same backpressure';
  const unavailable = cliUnavailable();
  if (unavailable) return [notRun('webrtc-node', rowName, refLabel, unavailable)];
  const reps = quick ? 1 : 2;
  const name = `node-${size / MiB}MiB.bin`;
  const path = join(tmp, name);
  await writePrngFile(path, size, 'webrtc-node');
  const app = await startBenchApp();
  const raw = await startRawServer();
  const seeder = new ShoalProcess(['seed', path, '--data-dir', join(tmp, 'seeder'), '--tracker', app.url, '--no-lan', '--port', '0', '--log-level', 'warn']);
  const rows: BenchRow[] = [];
  try {
    const shared = await seeder.waitFor((e) => e.event === 'shared', 5 * 60_000, 'shoal seed hashing');
    await seeder.waitFor((e) => e.event === 'seeding', 60_000, 'shoal seed');
    const link = `${app.url}/d/${String(shared.id)}`;
    const shoal: number[] = [];
    const ref: number[] = [];
    const runs: unknown[] = [];
    const set = new PageSet('contexts', tmp);
    try {
      for (let rep = 0; rep < reps; rep++) {
        const rawPage = await set.add({ recorder: false });
        const r = await rawNodeToBrowser(raw.url, rawPage.page, path);
        await set.closePages();
        ref.push(mibPerSecond(r.bytes, r.ms));
        runs.push({ raw: r });
        const page = await set.add();
        const d = await downloadThroughUi(page.page, link, size, 15 * 60_000);
        await set.closePages();
        shoal.push(mibPerSecond(d.steadyBytes, d.steadyMs));
        runs.push({ shoal: { steadyBytes: d.steadyBytes, steadyMs: d.steadyMs, totalMs: d.totalMs } });
        log(`#${rep + 1}: raw ${ref.at(-1)!.toFixed(1)} MiB/s, Shoal ${shoal.at(-1)!.toFixed(1)} MiB/s steady (${(d.totalMs / 1000).toFixed(1)} s from link)`);
      }
    } finally {
      await set.close();
    }
    rows.push(
      throughputRow('webrtc-node', rowName, median(shoal), median(ref), refLabel, {
        note: `median of ${reps}; the tab downloads through the UI (one Chromium context; verification and IndexedDB included)`,
        details: { size, shoal, ref, runs }
      })
    );
  } catch (err) {
    rows.push(notRun('webrtc-node', rowName, refLabel, (err as Error).message));
  } finally {
    await seeder.stop();
    await raw.close();
    await app.close();
  }
  return rows;
};

export default bench;
