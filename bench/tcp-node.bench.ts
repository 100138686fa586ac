/**
 * Node peer → Node peer over TCP (LAN transfers, loopback): `shoal seed` and `shoal get` as real
 * processes, found by LAN discovery (broadcast on 127.255.255.255), against a raw `net` socket
 * copying the same file from process to process. Also the peak RSS of `shoal get` for that file
 * against the raw copy's receiving process.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bench } from './lib/context.ts';
import { sha256File, writePrngFile } from './lib/prng-file.ts';
import { RssSampler } from './lib/proc-memory.ts';
import { rawTcpCopy } from './lib/raw-tcp.ts';
import { notRun, throughputRow, type BenchRow } from './lib/report.ts';
import { cliUnavailable, loopbackLan, randomLanPort, ShoalProcess, type CliEvent } from './lib/shoal-cli.ts';
import { GiB, median, MiB, mibPerSecond } from './lib/stats.ts';

export interface GetRun {
  steadyBytes: number;
  steadyMs: number;
  totalMs: number;
  peakRss: number;
  progress: { t: number; bytesDone: number }[];
  /** CPU seconds (user + system) from the first progress line with bytes to done: the getter, and the seeder given. */
  cpu: { getter: number; seeder: number | null };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command (field 2, in parentheses): utime and stime are fields 14 and 15, in
    // clock ticks of 1/100 s (USER_HZ on Linux).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Runs `shoal get` for `id` into `outDir` and measures it (`seederPid`: a seeder whose CPU time is measured alongside). */
export async function shoalGet(id: string, size: number, dataDir: string, outDir: string, lanArgs: string[], timeoutMs: number, seederPid?: number): Promise<GetRun> {
  const get = new ShoalProcess(['get', id, '--data-dir', dataDir, '-o', outDir, ...lanArgs]);
  const rss = new RssSampler(get.pid, 50);
  try {
    const started = await get.waitFor((e) => (e.event === 'progress' && Number(e.bytesDone) > 0) || e.event === 'done' || e.event === 'error', timeoutMs, 'shoal get');
    const cpu0 = { getter: cpuSeconds(get.pid), seeder: seederPid ? cpuSeconds(seederPid) : NaN };
    const done = started.event === 'progress' ? await get.waitFor((e) => e.event === 'done' || e.event === 'error', timeoutMs, 'shoal get') : started;
    const cpu = { getter: cpuSeconds(get.pid) - cpu0.getter, seeder: seederPid ? cpuSeconds(seederPid) - cpu0.seeder : null };
    const mem = rss.stop();
    if (done.event === 'error') throw new Error(`shoal get failed: ${done.code} ${done.message}`);
    const progress = get.events.filter((e) => e.event === 'progress').map((e) => ({ t: e.t - get.startedAt, bytesDone: Number(e.bytesDone) }));
    const first = get.events.find((e): e is CliEvent => e.event === 'progress' && Number(e.bytesDone) > 0);
    // The first progress line with bytes in it starts the clock (connection set-up excluded).
    const steadyBytes = first ? size - Number(first.bytesDone) : size;
    const steadyMs = first ? done.t - first.t : done.t - get.startedAt;
    await get.exited;
    return { steadyBytes, steadyMs, totalMs: done.t - get.startedAt, peakRss: Math.max(mem.peakHwm, mem.peakRss), progress, cpu };
  } finally {
    rss.stop();
    await get.stop();
  }
}

const bench: Bench = async ({ quick, tmp, log }) => {
  const size = quick ? 256 * MiB : GiB;
  const label = quick ? '256 MiB' : '1 GiB';
  const rowName = `Node → Node, TCP, ${label}`;
  const memName = `Memory: peak RSS of shoal get, ${label}`;
  const unavailable = cliUnavailable();
  if (unavailable) return [notRun('tcp-node', rowName, 'raw net socket copy', unavailable), notRun('tcp-node', memName, 'raw copy receiver', unavailable)];
  const reps = quick ? 1 : 2;
  const path = join(tmp, `tcp-${label.replace(' ', '')}.bin`);
  await writePrngFile(path, size, 'tcp-node');
  const want = await sha256File(path);
  const lanPort = randomLanPort();
  const lan = loopbackLan(lanPort);
  const seeder = new ShoalProcess(['seed', path, '--data-dir', join(tmp, 'seeder'), ...lan]);
  const rows: BenchRow[] = [];
  try {
    const shared = await seeder.waitFor((e) => e.event === 'shared', 5 * 60_000, 'shoal seed hashing');
    await seeder.waitFor((e) => e.event === 'seeding', 60_000, 'shoal seed');
    const id = String(shared.id);
    log(`seeding ${id.slice(0, 12)} (hashing took ${((shared.t - seeder.startedAt) / 1000).toFixed(1)} s with start-up)`);
    const shoal: number[] = [];
    const ref: number[] = [];
    const rss: number[] = [];
    const refRss: number[] = [];
    const runs: unknown[] = [];
    const cpu: { seeder: number; getter: number; rawSender: number; rawReceiver: number }[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const refOut = join(tmp, 'raw-copy.bin');
      const r = await rawTcpCopy(path, refOut);
      await rm(refOut, { force: true });
      if (r.bytes !== size) throw new Error(`raw copy moved ${r.bytes} of ${size} bytes`);
      ref.push(mibPerSecond(r.bytes, r.ms));
      refRss.push(r.peakRss);
      const outDir = join(tmp, `get-${rep}`);
      await mkdir(outDir, { recursive: true });
      const g = await shoalGet(id, size, join(tmp, `getter-${rep}`), outDir, lan, 20 * 60_000, seeder.pid);
      const got = await sha256File(join(outDir, `tcp-${label.replace(' ', '')}.bin`));
      if (got !== want) throw new Error('shoal get wrote a file that differs from the original');
      await rm(outDir, { recursive: true, force: true });
      await rm(join(tmp, `getter-${rep}`), { recursive: true, force: true });
      shoal.push(mibPerSecond(g.steadyBytes, g.steadyMs));
      rss.push(g.peakRss);
      runs.push({ raw: r, shoal: g });
      const perGiB = (seconds: number | null, bytes: number) => (seconds === null ? NaN : seconds / (bytes / GiB));
      cpu.push({ seeder: perGiB(g.cpu.seeder, g.steadyBytes), getter: perGiB(g.cpu.getter, g.steadyBytes), rawSender: perGiB(r.cpu.sender, r.bytes), rawReceiver: perGiB(r.cpu.receiver, r.bytes) });
      const c = cpu.at(-1)!;
      log(
        `#${rep + 1}: raw ${ref.at(-1)!.toFixed(0)} MiB/s, shoal get ${shoal.at(-1)!.toFixed(0)} MiB/s steady (${(g.totalMs / 1000).toFixed(1)} s from start), peak RSS ${(g.peakRss / MiB).toFixed(0)} MiB; ` +
          `CPU s per GiB: seeder ${c.seeder.toFixed(2)}, getter ${c.getter.toFixed(2)}, raw sender ${c.rawSender.toFixed(2)}, raw receiver ${c.rawReceiver.toFixed(2)}`
      );
    }
    rows.push(
      throughputRow('tcp-node', rowName, median(shoal), median(ref), 'raw net socket copy, file to file, process to process', {
        note: `median of ${reps}; shoal get timed from its first progress line with bytes to done (verified, written to disk); file checked by SHA-256; CPU s per GiB (user + system, same window) seeder ${median(cpu.map((c) => c.seeder)).toFixed(2)}, getter ${median(cpu.map((c) => c.getter)).toFixed(2)}, raw sender ${median(cpu.map((c) => c.rawSender)).toFixed(2)}, raw receiver ${median(cpu.map((c) => c.rawReceiver)).toFixed(2)}`,
        details: { size, shoal, ref, cpu, runs }
      })
    );
    const peak = Math.max(...rss);
    const refPeak = Math.max(...refRss);
    rows.push({
      bench: 'tcp-node',
      name: memName,
      shoal: { value: peak / MiB, unit: 'MiB' },
      reference: { value: refPeak / MiB, unit: 'MiB' },
      referenceLabel: 'peak RSS of the raw copy receiver (Node + tsx, same file)',
      ratio: peak / refPeak,
      ratioMeaning: 'Shoal ÷ reference; lower is better',
      note: `peak RSS is ${((peak / size) * 100).toFixed(1)}% of the file size (VmHWM)`,
      details: { size, rss, refRss }
    });
  } catch (err) {
    rows.push(notRun('tcp-node', rowName, 'raw net socket copy', (err as Error).message), notRun('tcp-node', memName, 'raw copy receiver', (err as Error).message));
  } finally {
    await seeder.stop();
  }
  return rows;
};

export default bench;
