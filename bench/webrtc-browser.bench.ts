/**
 * Browser → browser over WebRTC in headless Chromium on loopback: Shoal's download through the
 * real UI (tracker lookup, WebRTC, wire codec, chunk reassembly, SHA-256 verification, IndexedDB)
 * against a raw simple-peer channel blasting the same file's bytes with the same message size and
 * backpressure, measured in the same run with the same browser set-up.
 */
import { join } from 'node:path';
import { startBenchApp } from './lib/app.ts';
import type { Bench } from './lib/context.ts';
import { writePrngFile } from './lib/prng-file.ts';
import { rawBrowserToBrowser, startRawServer } from './lib/raw-channel.ts';
import { notRun, throughputRow, type BenchRow } from './lib/report.ts';
import { downloadThroughUi, PageSet, shareThroughUi, type PageMode } from './lib/shoal-ui.ts';
import { median, MiB, mibPerSecond } from './lib/stats.ts';

const bench: Bench = async ({ quick, tmp, log }) => {
  const size = (quick ? 16 : 256) * MiB;
  const modes: PageMode[] = quick ? ['contexts'] : ['contexts', 'processes'];
  const name = `bench-${size / MiB}MiB.bin`;
  const path = join(tmp, name);
  await writePrngFile(path, size, 'webrtc-browser');
  const app = await startBenchApp();
  const raw = await startRawServer();
  const rows: BenchRow[] = [];
  try {
    for (const mode of modes) {
      // Two Chromium processes move data about half as fast: one repetition there keeps the run bounded.
      const reps = quick || mode === 'processes' ? 1 : 2;
      const label = mode === 'contexts' ? 'one Chromium, two contexts' : 'two Chromium processes, on-disk profiles';
      const rawRates: number[] = [];
      const shoalRates: number[] = [];
      const details: Record<string, unknown>[] = [];
      const set = new PageSet(mode, tmp);
      try {
        for (let rep = 0; rep < reps; rep++) {
          // Reference first, then Shoal, alternating, so drift on the shared machine hits both.
          const [a, b] = [await set.add({ recorder: false }), await set.add({ recorder: false })];
          const r = await rawBrowserToBrowser(raw.url, a.page, b.page, path);
          await set.closePages();
          rawRates.push(mibPerSecond(r.bytes, r.ms));
          log(`${mode} raw #${rep + 1}: ${rawRates.at(-1)!.toFixed(1)} MiB/s (connect ${r.connectMs.toFixed(0)} ms, ${r.pauses} pauses, maxMessageSize ${r.maxMessageSize})`);
          details.push({ rep, raw: r });
          const seeder = await set.add();
          const shared = await shareThroughUi(seeder.page, app.url, path, name, 10 * 60_000);
          const leecher = await set.add();
          const d = await downloadThroughUi(leecher.page, shared.link, size, 15 * 60_000);
          await set.closePages();
          shoalRates.push(mibPerSecond(d.steadyBytes, d.steadyMs));
          log(`${mode} shoal #${rep + 1}: ${shoalRates.at(-1)!.toFixed(1)} MiB/s steady, ${(d.totalMs / 1000).toFixed(1)} s from link to Complete`);
          details.push({ rep, shoal: { hashMs: shared.hashMs, steadyBytes: d.steadyBytes, steadyMs: d.steadyMs, totalMs: d.totalMs, percent: d.percent } });
        }
        const shoal = median(shoalRates);
        const ref = median(rawRates);
        rows.push(
          throughputRow('webrtc-browser', `Browser → browser, WebRTC, ${size / MiB} MiB (${label})`, shoal, ref, 'raw simple-peer channel, same bytes, 64 KiB messages, same backpressure', {
            note: `median of ${reps}; Shoal timed from first progress to Complete (hashing, verification, IndexedDB included; connection set-up excluded)`,
            details: { size, mode, shoalRates, rawRates, runs: details }
          })
        );
      } catch (err) {
        rows.push(notRun('webrtc-browser', `Browser → browser, WebRTC, ${size / MiB} MiB (${label})`, 'raw simple-peer channel', (err as Error).message));
      } finally {
        await set.close();
      }
    }
  } finally {
    await raw.close();
    await app.close();
  }
  return rows;
};

export default bench;
