/**
 * The tracker on Redis (several processes, one network: server/redis-shared.ts), against the
 * tracker as one process with in-memory presence and SQLite, in the same run, with the same load
 * generators, workload and peer count. Three set-ups, one after the other on one redis-server:
 *   - reference: one process, in-memory adapter and presence, SQLite index;
 *   - one process on Redis (adapter, presence and index there): what Redis itself costs;
 *   - two processes on Redis, the peers split evenly between them, half of the signalling
 *     partners on different processes: what a second process costs or brings, and whether
 *     signals cross between processes (each one received is counted, with its delivery time).
 * Each: open-loop windows of the tracker-load workload (announce p50/p99, search, signals), then
 * closed-loop saturations with announces (throughput); the full run measures each twice and
 * keeps the better window, for every set-up alike. CPU time of every process (from /proc) and
 * Redis's command counts (INFO commandstats) are taken around each window, to show where the
 * time goes. The load generators are started once and reconnect to each set-up. Every window's
 * figures go to bench/results/tracker-redis[-quick].json.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { procCpuSeconds } from '../lib/proc-cpu.ts';
import { notRun, type BenchRow } from '../lib/report.ts';
import { redisMissing, startBenchRedis, type BenchRedis } from '../lib/redis-server.ts';
import { percentile, sleep } from '../lib/stats.ts';
import { Fleet, type LoadResult, type SaturateResult } from './fleet.ts';
import type { Rates } from './load-worker.ts';

const BENCH = 'tracker-load';
/** Simulated peers per set-up: light for one process (tracker-load holds 7,500), so the figures compare costs, not collapse. */
const PEERS = { quick: 500, full: 2_000 };
/** Load-generator processes; with two trackers and Redis they already share 2 cores 5 ways. */
const GENERATORS = 2;

export interface OnRedisContext {
  quick: boolean;
  tmp: string;
  log(message: string): void;
  /** Addresses the generators spread their connections over (tracker-load.bench.ts). */
  hosts: string[];
  /** The tracker-load workload, events per peer per second. */
  rates: Rates;
}

type SetupKey = 'sqlite' | 'redis1' | 'redis2';

interface CpuWindow {
  /** CPU seconds of each tracker process, of redis-server, of the load generators together. */
  trackers: number[];
  redis: number;
  generators: number;
}

interface CommandStat {
  calls: number;
  usec: number;
}

interface LoadWindow {
  lat: Record<string, { p50: number; p99: number; n: number }>;
  errors: Record<string, number>;
  eventsPerSecond: number;
  cpu: CpuWindow;
  commands: Record<string, CommandStat>;
}

interface SaturateWindow extends SaturateResult {
  cpu: CpuWindow;
  commands: Record<string, CommandStat>;
}

interface SetupResult {
  key: SetupKey;
  processes: number;
  connectFailed: number;
  connectMs: number;
  rss: number[];
  /** The open-loop window with the lower announce p99. */
  lat: LoadWindow['lat'];
  errors: Record<string, number>;
  eventsPerSecond: number;
  /** Over every open-loop window. */
  signals: { acked: LoadResult['acked']; delivered: { cross: number; same: number }; crossP50: number; crossP99: number; sameP50: number; sameP99: number };
  /** The saturation window with the higher throughput. */
  saturated: SaturateWindow;
  windows: { load: LoadWindow[]; saturate: SaturateWindow[] };
}

/** Per command: calls and microseconds inside Redis (commands run by scripts are counted too). */
async function commandStats(admin: Redis): Promise<Record<string, CommandStat>> {
  const out: Record<string, CommandStat> = {};
  for (const line of (await admin.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

function commandDelta(before: Record<string, CommandStat>, after: Record<string, CommandStat>): Record<string, CommandStat> {
  const out: Record<string, CommandStat> = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before[k] ?? { calls: 0, usec: 0 };
    if (v.calls > b.calls && k !== 'info') out[k] = { calls: v.calls - b.calls, usec: v.usec - b.usec };
  }
  return out;
}

class CpuMeter {
  #start: number[] = [];
  constructor(readonly pids: { trackers: number[]; redis: number; generators: number[] }) {}
  #read(): number[] {
    return [...this.pids.trackers, this.pids.redis, ...this.pids.generators].map((pid) => procCpuSeconds(pid) ?? Number.NaN);
  }
  start(): void {
    this.#start = this.#read();
  }
  stop(): CpuWindow {
    const d = this.#read().map((v, i) => v - this.#start[i]);
    const n = this.pids.trackers.length;
    return { trackers: d.slice(0, n), redis: d[n], generators: d.slice(n + 1).reduce((a, b) => a + b, 0) };
  }
}

const best = (windows: number) => (windows > 1 ? `, best of ${windows} windows for each set-up` : '');
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function addUp(counts: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}
const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : '—');

const REF_LABEL = 'one process, in-memory presence + SQLite, same load';

type RowNames = Record<'p99two' | 'satTwo' | 'signals' | 'p99one' | 'satOne', string>;

function rowNames(peers: number): RowNames {
  const n = peers.toLocaleString('en');
  return {
    p99two: `Tracker on Redis, 2 processes, ${n} peers: announce p99`,
    satTwo: `Tracker on Redis, 2 processes, ${n} peers: announces/s, saturated`,
    signals: `Tracker on Redis, 2 processes, ${n} peers: signals delivered across processes`,
    p99one: `Tracker on Redis, 1 process, ${n} peers: announce p99`,
    satOne: `Tracker on Redis, 1 process, ${n} peers: announces/s, saturated`
  };
}

/** The rows; never throws (a failure is a not-run row each, so tracker-load keeps its own rows). */
export async function trackerOnRedis(ctx: OnRedisContext): Promise<BenchRow[]> {
  const names = rowNames(ctx.quick ? PEERS.quick : PEERS.full);
  const missing = redisMissing();
  if (missing) return Object.values(names).map((name) => notRun(BENCH, name, REF_LABEL, missing));
  try {
    return await measure(ctx, names);
  } catch (err) {
    ctx.log(`tracker on Redis failed: ${(err as Error).stack ?? String(err)}`);
    const why = `failed: ${(err as Error).message.split('\n')[0]}`;
    return Object.values(names).map((name) => notRun(BENCH, name, REF_LABEL, why));
  }
}

async function measure(ctx: OnRedisContext, names: RowNames): Promise<BenchRow[]> {
  const { quick, tmp, log, hosts, rates } = ctx;
  const peers = quick ? PEERS.quick : PEERS.full;
  const seconds = quick ? 2 : 12;
  const satSeconds = quick ? 2 : 5;
  const windows = quick ? 1 : 2;

  const setups: { key: SetupKey; servers: (url: string) => string[][] }[] = [
    { key: 'sqlite', servers: () => [['shoal', join(tmp, 'tracker-sqlite')]] },
    { key: 'redis1', servers: (url) => [['redis', url, 'bench1:', join(tmp, 'tracker-redis1')]] },
    {
      key: 'redis2',
      servers: (url) => [
        ['redis', url, 'bench2:', join(tmp, 'tracker-redis2-a')],
        ['redis', url, 'bench2:', join(tmp, 'tracker-redis2-b')]
      ]
    }
  ];
  const results = new Map<SetupKey, SetupResult>();
  let redis: BenchRedis | undefined;
  let admin: Redis | undefined;
  const fleet = new Fleet(hosts, GENERATORS);
  const started = Date.now();
  try {
    redis = await startBenchRedis(tmp);
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await fleet.startGenerators();
    for (const setup of setups) {
      await admin.flushall();
      const ports = await fleet.startServers(setup.servers(redis.url));
      const meter = new CpuMeter({ trackers: fleet.servers.map((s) => s.proc.pid!), redis: redis.pid, generators: fleet.gens.map((g) => g.proc.pid!) });
      const c = await fleet.grow(ports, peers);
      await sleep(quick ? 1000 : 2000);
      // Best of `windows` (this shared machine's other work can spoil one), the same for every set-up.
      const loads: LoadWindow[] = [];
      const delivered: LoadResult['delivered'] = { cross: 0, same: 0, crossMs: [], sameMs: [] };
      const acked = { cross: 0, same: 0 };
      for (let w = 0; w < windows; w++) {
        const cmd0 = await commandStats(admin);
        meter.start();
        const l = await fleet.load(seconds, rates);
        const cpu = meter.stop();
        const lat: LoadWindow['lat'] = {};
        for (const [k, v] of Object.entries(l.lat)) lat[k] = { p50: percentile(v, 50), p99: percentile(v, 99), n: v.length };
        const events = sum(Object.values(l.lat).map((v) => v.length));
        loads.push({ lat, errors: l.errors, eventsPerSecond: events / l.seconds, cpu, commands: commandDelta(cmd0, await commandStats(admin)) });
        delivered.cross += l.delivered.cross;
        delivered.same += l.delivered.same;
        delivered.crossMs.push(...l.delivered.crossMs);
        delivered.sameMs.push(...l.delivered.sameMs);
        acked.cross += l.acked.cross;
        acked.same += l.acked.same;
      }
      const sats: SaturateWindow[] = [];
      for (let w = 0; w < windows; w++) {
        const cmd0 = await commandStats(admin);
        meter.start();
        const sat = await fleet.saturate(satSeconds);
        const cpu = meter.stop();
        sats.push({ ...sat, cpu, commands: commandDelta(cmd0, await commandStats(admin)) });
      }
      const rss = await Promise.all(fleet.servers.map((_, i) => fleet.mem(i).then((m) => m.rss)));
      const calm = loads.reduce((a, b) => ((b.lat.announce?.p99 ?? Infinity) < (a.lat.announce?.p99 ?? Infinity) ? b : a));
      const sat = sats.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      const r: SetupResult = {
        key: setup.key,
        processes: ports.length,
        connectFailed: c.failed,
        connectMs: c.ms,
        rss,
        lat: calm.lat,
        errors: addUp([c.errors, ...loads.map((l) => l.errors)]),
        eventsPerSecond: calm.eventsPerSecond,
        signals: {
          acked,
          delivered: { cross: delivered.cross, same: delivered.same },
          crossP50: percentile(delivered.crossMs, 50),
          crossP99: percentile(delivered.crossMs, 99),
          sameP50: percentile(delivered.sameMs, 50),
          sameP99: percentile(delivered.sameMs, 99)
        },
        saturated: sat,
        windows: { load: loads, saturate: sats }
      };
      results.set(setup.key, r);
      log(
        `${setup.key} (${ports.length} process${ports.length > 1 ? 'es' : ''}) at ${peers} peers (${c.failed} failed, connected in ${(c.ms / 1000).toFixed(1)} s): ` +
          `announce p50/p99 ${loads.map((l) => `${fmt(l.lat.announce?.p50)}/${fmt(l.lat.announce?.p99)}`).join(', ')} ms, search p99 ${loads.map((l) => fmt(l.lat.search?.p99)).join(', ')} ms, ` +
          `signals delivered ${delivered.cross}/${acked.cross} across, ${delivered.same}/${acked.same} within; ` +
          `saturated ${sats.map((x) => x.perSecond.toFixed(0)).join(', ')}/s; CPU s in saturation: trackers ${sat.cpu.trackers.map((v) => v.toFixed(1)).join('+')}, redis ${sat.cpu.redis.toFixed(1)}, generators ${sat.cpu.generators.toFixed(1)}`
      );
      await fleet.disconnectPeers();
      await fleet.stopServers();
    }
  } finally {
    await fleet.stop();
    admin?.disconnect();
    await redis?.stop();
  }
  log(`tracker on Redis: ${Math.round((Date.now() - started) / 1000)} s`);
  const sizes = { peers, seconds, satSeconds, windows };
  const details = { date: new Date(started).toISOString(), sizes, generators: GENERATORS, rates, hosts, setups: Object.fromEntries(results) };
  await writeFile(join(import.meta.dirname, '..', 'results', `tracker-redis${quick ? '-quick' : ''}.json`), `${JSON.stringify(details, null, 2)}\n`);
  return rows(results, names, sizes, details);
}

/** CPU seconds per 1,000 saturated announces, e.g. "trackers 0.21 (0.11 + 0.10), redis-server 0.15". */
function cpuPerThousand(r: SetupResult): string {
  const per = (s: number) => ((s / Math.max(1, r.saturated.done)) * 1000).toFixed(2);
  const trackers = r.saturated.cpu.trackers.length > 1 ? `${per(sum(r.saturated.cpu.trackers))} (${r.saturated.cpu.trackers.map(per).join(' + ')})` : per(r.saturated.cpu.trackers[0]);
  return `tracker${r.processes > 1 ? 's' : ''} ${trackers}` + (r.key === 'sqlite' ? '' : `, redis-server ${per(r.saturated.cpu.redis)}`);
}

/**
 * Redis work per saturated announce: scripts run (EVALSHA) and every command counted, those the
 * scripts run included (INFO commandstats cannot tell them apart from a client's own).
 */
function redisPerAnnounce(r: SetupResult): string {
  const done = Math.max(1, r.saturated.done);
  const scripts = (r.saturated.commands.evalsha?.calls ?? 0) + (r.saturated.commands.eval?.calls ?? 0);
  const all = sum(Object.values(r.saturated.commands).map((c) => c.calls));
  return `${(scripts / done).toFixed(1)} scripts, ${(all / done).toFixed(0)} commands in all`;
}

function rows(results: Map<SetupKey, SetupResult>, names: RowNames, sizes: { peers: number; seconds: number; satSeconds: number; windows: number }, details: Record<string, unknown>): BenchRow[] {
  const ref = results.get('sqlite')!;
  const out: BenchRow[] = [];
  const latency = (r: SetupResult, name: string, note: string): BenchRow => ({
    bench: BENCH,
    name: `${name} (p50 ${fmt(r.lat.announce.p50)} ms)`,
    shoal: { value: r.lat.announce.p99, unit: 'ms' },
    reference: { value: ref.lat.announce.p99, unit: 'ms' },
    referenceLabel: `${REF_LABEL} (p50 ${fmt(ref.lat.announce.p50)} ms)`,
    ratio: r.lat.announce.p99 / ref.lat.announce.p99,
    ratioMeaning: 'on Redis ÷ one process; lower is better',
    note:
      `search p99 ${fmt(r.lat.search?.p99)} ms (reference ${fmt(ref.lat.search?.p99)} ms), signal ack p99 ${fmt(r.lat.signal?.p99)} ms (${fmt(ref.lat.signal?.p99)} ms); ` +
      `${r.eventsPerSecond.toFixed(0)} events/s offered for ${sizes.seconds} s by ${GENERATORS} load generators${best(sizes.windows)}; ${note}` +
      (r.connectFailed || Object.keys(r.errors).length ? `; errors ${JSON.stringify(r.errors)}` : '')
  });
  const throughput = (r: SetupResult, name: string): BenchRow => ({
    bench: BENCH,
    name,
    shoal: { value: r.saturated.perSecond, unit: '/s' },
    reference: { value: ref.saturated.perSecond, unit: '/s' },
    referenceLabel: REF_LABEL.replace('same load', 'same generators'),
    ratio: r.saturated.perSecond / ref.saturated.perSecond,
    ratioMeaning: 'on Redis ÷ one process; 1 = as fast',
    note:
      `${GENERATORS} × 64 announces in flight for ${sizes.satSeconds} s${best(sizes.windows)}; p99 ${fmt(r.saturated.p99)} ms (reference ${fmt(ref.saturated.p99)} ms); ` +
      `CPU s per 1,000 announces: ${cpuPerThousand(r)} (reference ${cpuPerThousand(ref)}); Redis per announce: ${redisPerAnnounce(r)}` +
      (Object.keys(r.saturated.errors).length ? `; errors ${JSON.stringify(r.saturated.errors)}` : '')
  });
  const two = results.get('redis2')!;
  const one = results.get('redis1')!;
  out.push({ ...latency(two, names.p99two, 'peers split evenly over the 2 processes'), details });
  out.push(throughput(two, names.satTwo));
  const s = two.signals;
  out.push({
    bench: BENCH,
    name: names.signals,
    shoal: { value: s.delivered.cross, unit: 'signals' },
    reference: { value: s.acked.cross, unit: 'signals' },
    referenceLabel: 'signals to a peer on the other process, acknowledged to the sender',
    ratio: s.acked.cross > 0 ? s.delivered.cross / s.acked.cross : null,
    ratioMeaning: '1 = every one arrived',
    note:
      `delivery (sender's emit to receipt) p50 ${fmt(s.crossP50)} ms, p99 ${fmt(s.crossP99)} ms across processes; ` +
      `within one process ${s.delivered.same}/${s.acked.same} delivered, p50 ${fmt(s.sameP50)} ms, p99 ${fmt(s.sameP99)} ms ` +
      `(one process without Redis: p50 ${fmt(ref.signals.sameP50)} ms, p99 ${fmt(ref.signals.sameP99)} ms)`
  });
  out.push(latency(one, names.p99one, 'adapter, presence and index on Redis'));
  out.push(throughput(one, names.satOne));
  return out;
}
