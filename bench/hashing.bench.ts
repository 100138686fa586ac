/**
 * Share-time hashing: Shoal's hashing of a file against a bare SHA-256 loop over the same chunks.
 *  - Browser: a file dropped on the real UI (the hashing worker reads each 1 MiB chunk, digests it
 *    with WebCrypto, 4 in flight, and stores it in IndexedDB), timed in the page from the file
 *    input's change to the file listed under My files; reference: `crypto.subtle.digest` over the
 *    same File's 1 MiB slices with the same 4 in flight, nothing stored.
 *  - Node: `hashFile` (cli/hash-file.ts, what `shoal seed` runs); reference: read each chunk and
 *    hash it with `node:crypto`, one after the other.
 * The file is written just before, so both read it from the page cache.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkCount, chunkRange, chunkSizeFor } from '../src/lib/core/chunks.ts';
import { startBenchApp } from './lib/app.ts';
import type { Bench } from './lib/context.ts';
import { writePrngFile } from './lib/prng-file.ts';
import { startRawServer } from './lib/raw-channel.ts';
import { notRun, throughputRow, type BenchRow } from './lib/report.ts';
import { PageSet, shareThroughUi } from './lib/shoal-ui.ts';
import { median, MiB, mibPerSecond, nowMs } from './lib/stats.ts';

/** Digests in flight in the browser reference: the same as the hashing worker's IN_FLIGHT. */
const IN_FLIGHT = 4;

async function bareNodeHash(path: string, size: number): Promise<number> {
  const chunkSize = chunkSizeFor(size);
  const n = chunkCount(size, chunkSize);
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(chunkSize);
  const t0 = nowMs();
  try {
    for (let i = 0; i < n; i++) {
      const { start, end } = chunkRange(size, chunkSize, i);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
    }
  } finally {
    await fh.close();
  }
  return nowMs() - t0;
}

async function nodeRow(path: string, size: number, reps: number): Promise<BenchRow> {
  const name = `Hashing ${size / MiB} MiB, Node (node:crypto)`;
  let hashFile: (p: string) => Promise<unknown>;
  try {
    ({ hashFile } = await import('../cli/hash-file.ts'));
  } catch (err) {
    return notRun('hashing', name, 'bare node:crypto loop', `cli/hash-file.ts unavailable: ${(err as Error).message}`);
  }
  const shoal: number[] = [];
  const ref: number[] = [];
  // One untimed pass of each first: the file in the page cache, the code compiled.
  await bareNodeHash(path, size);
  await hashFile(path);
  for (let i = 0; i < reps; i++) {
    ref.push(mibPerSecond(size, await bareNodeHash(path, size)));
    const t0 = nowMs();
    await hashFile(path);
    shoal.push(mibPerSecond(size, nowMs() - t0));
  }
  return throughputRow('hashing', name, median(shoal), median(ref), 'bare node:crypto loop, same 1 MiB chunks, one at a time', {
    note: `median of ${reps}; Shoal: cli/hash-file.ts hashFile (2 chunks in flight, 4 MiB reads)`,
    details: { size, shoal, ref }
  });
}

const BROWSER_REFERENCE = String.raw`async ([chunkSize, inFlight]) => {
  const file = document.getElementById('f').files[0];
  const n = Math.ceil(file.size / chunkSize);
  let next = 0;
  const t0 = performance.now();
  const work = async () => {
    while (next < n) {
      const i = next++;
      const buf = await file.slice(i * chunkSize, Math.min(file.size, (i + 1) * chunkSize)).arrayBuffer();
      await crypto.subtle.digest('SHA-256', buf);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, work));
  return performance.now() - t0;
}`;

async function browserRow(path: string, name: string, size: number, reps: number, tmp: string, log: (m: string) => void): Promise<BenchRow> {
  const rowName = `Hashing ${size / MiB} MiB, browser (worker, WebCrypto, into IndexedDB)`;
  const app = await startBenchApp();
  const raw = await startRawServer();
  try {
    const shoal: number[] = [];
    const ref: number[] = [];
    for (let i = 0; i < reps; i++) {
      // One page, one on-disk profile: the reference first, then Shoal's app in the same page.
      const set = new PageSet('processes', tmp);
      try {
        const p = await set.add();
        await p.page.goto(raw.url);
        await p.page.locator('#f').setInputFiles(path);
        const ms = (await p.page.evaluate(`(${BROWSER_REFERENCE})([${chunkSizeFor(size)}, ${IN_FLIGHT}])`)) as number;
        ref.push(mibPerSecond(size, ms));
        const shared = await shareThroughUi(p.page, app.url, path, name, 10 * 60_000);
        shoal.push(mibPerSecond(size, shared.hashMs));
        log(`browser #${i + 1}: reference ${ref.at(-1)!.toFixed(0)} MiB/s, Shoal ${shoal.at(-1)!.toFixed(0)} MiB/s`);
      } finally {
        await set.close();
      }
    }
    return throughputRow('hashing', rowName, median(shoal), median(ref), `bare crypto.subtle.digest over the same File's 1 MiB slices, ${IN_FLIGHT} in flight`, {
      note: `median of ${reps}; on-disk profile; Shoal timed in the page from the file input's change to the file listed, storing included`,
      details: { size, shoal, ref }
    });
  } catch (err) {
    return notRun('hashing', rowName, 'bare crypto.subtle.digest loop', (err as Error).message);
  } finally {
    await raw.close();
    await app.close();
  }
}

const bench: Bench = async ({ quick, tmp, log }) => {
  const size = (quick ? 64 : 512) * MiB;
  const reps = quick ? 1 : 3;
  const name = `hash-${size / MiB}MiB.bin`;
  const path = join(tmp, name);
  await writePrngFile(path, size, 'hashing');
  const rows = [await nodeRow(path, size, reps)];
  log(`node: Shoal ${rows[0].shoal?.value.toFixed(0)} MiB/s, reference ${rows[0].reference?.value.toFixed(0)} MiB/s`);
  rows.push(await browserRow(path, name, size, quick ? 1 : 2, tmp, log));
  return rows;
};

export default bench;
