/**
 * Files larger than memory in the browser: a tab shares a large file through the real UI and
 * another downloads it and saves it, each Chromium with its own on-disk profile. Measured: the
 * peak JS heap of each page (CDP Runtime.getHeapUsage: V8 heap plus ArrayBuffer backing stores,
 * sampled every 200 ms) and the peak RSS of each browser's renderer processes (hashing worker
 * included), against the file size. The saved file is checked by SHA-256.
 */
import { join } from 'node:path';
import { openPeer } from '../tests/helpers/app.ts';
import { startBenchApp } from './lib/app.ts';
import type { Bench } from './lib/context.ts';
import { HeapSampler, rendererPeaks, waitRecord, type HeapPeak } from './lib/browser.ts';
import { sha256File, writePrngFile } from './lib/prng-file.ts';
import { notRun, type BenchRow } from './lib/report.ts';
import { downloadThroughUi, PageSet } from './lib/shoal-ui.ts';
import { GiB, MiB, mibPerSecond } from './lib/stats.ts';

const mib = (b: number) => b / MiB;

function memoryRow(name: string, peak: number, size: number, note: string, details: Record<string, unknown>): BenchRow {
  return {
    bench: 'memory-browser',
    name,
    shoal: { value: mib(peak), unit: 'MiB' },
    reference: { value: mib(size), unit: 'MiB' },
    referenceLabel: 'the file size',
    ratio: peak / size,
    ratioMeaning: 'peak ÷ file size; well below 1 = the file is never held in memory',
    note,
    details
  };
}

const bench: Bench = async ({ quick, tmp, log }) => {
  const size = GiB;
  const label = '1 GiB';
  const names = [`Memory: sharing tab, ${label}`, `Memory: downloading tab, ${label}`, `Memory: seeding tab, ${label}`];
  // A gibibyte through two browsers takes minutes: the smoke check leaves it out.
  if (quick) return names.map((n) => notRun('memory-browser', n, 'the file size', 'full run only (1 GiB through two browsers takes minutes)'));
  const name = `memory-${label.replace(' ', '')}.bin`;
  const path = join(tmp, name);
  await writePrngFile(path, size, 'memory-browser');
  const want = await sha256File(path);
  const app = await startBenchApp();
  const set = new PageSet('processes', tmp);
  try {
    const seeder = await set.add();
    await openPeer(seeder.page, app.url);
    const idle = await HeapSampler.start(seeder.context, seeder.page);
    await seeder.page.waitForTimeout(1000);
    const idlePeak = await idle.stop();
    const idleRenderer = (await rendererPeaks(seeder.browser!))[0]?.rss ?? 0;

    // Sharing: hashing in the worker, chunks into IndexedDB.
    const shareHeap = await HeapSampler.start(seeder.context, seeder.page);
    await seeder.page.getByTestId('file-input').setInputFiles(path);
    const rec = await waitRecord(seeder.page, (r) => name in r.shared, 30 * 60_000, 'sharing');
    const shareMs = rec.shared[name] - rec.changeAt;
    const sharePeak = await shareHeap.stop();
    const shareRenderer = (await rendererPeaks(seeder.browser!))[0]?.peakRss ?? 0;
    log(`shared ${label} in ${(shareMs / 1000).toFixed(1)} s; page heap peak ${mib(sharePeak.usedWithBuffersPeak).toFixed(0)} MiB, renderer peak RSS ${mib(shareRenderer).toFixed(0)} MiB`);
    const item = seeder.page.getByTestId('my-file').filter({ hasText: name });
    const link = (await item.getByTestId('share-link').getAttribute('href'))!;

    // Downloading (and the seeder serving), then saving through the Save button.
    const leecher = await set.add({ downloads: true });
    const seedHeap = await HeapSampler.start(seeder.context, seeder.page);
    const downHeap = await HeapSampler.start(leecher.context, leecher.page);
    const d = await downloadThroughUi(leecher.page, link, size, 60 * 60_000);
    const downPeak = await downHeap.stop();
    const seedPeak = await seedHeap.stop();
    const downRenderer = (await rendererPeaks(leecher.browser!))[0]?.peakRss ?? 0;
    log(`downloaded at ${mibPerSecond(d.steadyBytes, d.steadyMs).toFixed(1)} MiB/s; page heap peak ${mib(downPeak.usedWithBuffersPeak).toFixed(0)} MiB, renderer peak RSS ${mib(downRenderer).toFixed(0)} MiB`);
    const saveHeap = await HeapSampler.start(leecher.context, leecher.page);
    const [download] = await Promise.all([leecher.page.waitForEvent('download', { timeout: 10 * 60_000 }), leecher.page.getByTestId('save').click()]);
    const saved = await download.path();
    const savePeak = await saveHeap.stop();
    const got = await sha256File(saved);
    const verified = got === want;
    await download.delete().catch(() => undefined);
    const seedRenderer = (await rendererPeaks(seeder.browser!))[0]?.peakRss ?? 0;

    const heapNote = (p: HeapPeak) => `V8 heap alone ${mib(p.usedPeak).toFixed(0)} MiB; ${p.samples} samples`;
    const rows = [
      memoryRow(names[0], shareRenderer, size, `renderer peak RSS (VmHWM), the hashing worker included; page JS heap peak ${mib(sharePeak.usedWithBuffersPeak).toFixed(0)} MiB; idle tab ${mib(idleRenderer).toFixed(0)} MiB RSS; hashed and stored in ${(shareMs / 1000).toFixed(0)} s`, {
        size,
        shareMs,
        sharePeak,
        shareRenderer,
        idlePeak,
        idleRenderer
      }),
      memoryRow(names[1], downPeak.usedWithBuffersPeak, size, `peak JS heap incl. ArrayBuffers (${heapNote(downPeak)}); renderer peak RSS ${mib(downRenderer).toFixed(0)} MiB; Save peak heap ${mib(savePeak.usedWithBuffersPeak).toFixed(0)} MiB; saved file ${verified ? 'identical (SHA-256)' : 'DIFFERENT'}`, {
        size,
        downPeak,
        downRenderer,
        savePeak,
        verified,
        steadyMiBps: mibPerSecond(d.steadyBytes, d.steadyMs),
        totalMs: d.totalMs
      }),
      memoryRow(names[2], seedPeak.usedWithBuffersPeak, size, `peak JS heap incl. ArrayBuffers while serving the download (${heapNote(seedPeak)}); largest renderer peak RSS of the seeding browser at the end ${mib(seedRenderer).toFixed(0)} MiB`, {
        size,
        seedPeak,
        seedRenderer
      })
    ];
    if (!verified) throw new Error('the saved file differs from the original');
    return rows;
  } catch (err) {
    return names.map((n) => notRun('memory-browser', n, 'the file size', (err as Error).message));
  } finally {
    await set.close();
    await app.close();
  }
};

export default bench;
