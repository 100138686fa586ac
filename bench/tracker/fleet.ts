/**
 * The processes of a tracker load benchmark: one or more servers (bench/tracker/server.ts) and
 * the load generators (bench/tracker/load-worker.ts), driven over IPC. Used by
 * tracker-load.bench.ts (one server) and bench/tracker/on-redis.ts (one or two servers sharing a
 * Redis; the generators are kept and reconnected from one server set-up to the next).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { procMemory } from '../lib/proc-memory.ts';
import { percentile, sleep } from '../lib/stats.ts';
import type { Rates } from './load-worker.ts';

export interface Child {
  proc: ChildProcess;
  next(ev: string, timeoutMs: number): Promise<any>;
}

export function spawnChild(script: string, args: string[], execArgv: string[] = []): Child {
  const proc = fork(script, args, { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: any[] = [];
  const waiters: ((m: any) => void)[] = [];
  proc.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return {
    proc,
    next(ev, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${ev} from ${script} within ${timeoutMs / 1000} s`)), timeoutMs);
        const take = (m: any) => {
          clearTimeout(timer);
          if (m?.ev === 'error') reject(new Error(m.message));
          else if (ev && m?.ev !== undefined && m.ev !== ev) reject(new Error(`expected ${ev}, got ${JSON.stringify(m).slice(0, 200)}`));
          else resolve(m);
        };
        const queued = queue.shift();
        if (queued !== undefined) take(queued);
        else waiters.push(take);
      });
    }
  };
}

/** Signals a generator's peers received during a load window, by where the sender was. */
export interface Delivered {
  /** Sender and receiver on different tracker processes: carried by the Socket.IO adapter. */
  cross: number;
  same: number;
  /** Sender's emit to receipt, ms. */
  crossMs: number[];
  sameMs: number[];
}

export interface LoadResult {
  lat: Record<string, number[]>;
  errors: Record<string, number>;
  sent: Record<string, number>;
  /** Signals acknowledged, by whether the partner sat on another tracker process. */
  acked: { cross: number; same: number };
  delivered: Delivered;
  seconds: number;
}

export interface SaturateResult {
  perSecond: number;
  done: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export class Fleet {
  readonly gens: Child[] = [];
  generators: number;
  servers: Child[] = [];
  peers = 0;

  constructor(
    readonly hosts: string[],
    generators: number
  ) {
    this.generators = generators;
  }

  /** Starts servers with these bench/tracker/server.ts arguments; resolves to their ports. */
  async startServers(argsPerServer: string[][]): Promise<number[]> {
    const servers = argsPerServer.map((args) => spawnChild(join(import.meta.dirname, 'server.ts'), args, ['--expose-gc']));
    this.servers.push(...servers);
    const replies = await Promise.all(servers.map((s) => s.next('', 60_000)));
    return replies.map((r) => r.port as number);
  }

  /** Starts the load generators (if not running yet). */
  async startGenerators(): Promise<void> {
    const gens = Array.from({ length: this.generators - this.gens.length }, () => spawnChild(join(import.meta.dirname, 'load-worker.ts'), []));
    this.gens.push(...gens);
    await Promise.all(gens.map((g) => g.next('ready', 60_000)));
  }

  /**
   * Connects peers up to `total`, spread over the generators in even-sized blocks (partners stay
   * together); with several ports, peers are spread over them (load-worker.ts, `portIndex`).
   */
  async grow(ports: number[], total: number): Promise<{ failed: number; ms: number; errors: Record<string, number> }> {
    if (total <= this.peers) return { failed: 0, ms: 0, errors: {} };
    const add = total - this.peers;
    const per = Math.ceil(add / this.gens.length / 2) * 2;
    const t0 = performance.now();
    const replies = await Promise.all(
      this.gens.map((g, i) => {
        const from = this.peers + i * per;
        const count = Math.max(0, Math.min(per, total - from));
        g.proc.send({ cmd: 'connect', ports, hosts: this.hosts, from, count });
        return g.next('connected', 15 * 60_000);
      })
    );
    this.peers = total;
    const errors: Record<string, number> = {};
    for (const r of replies) addCounts(errors, r.errors);
    return { failed: replies.reduce((n, r) => n + r.failed, 0), ms: performance.now() - t0, errors };
  }

  /** Memory (RSS from /proc, heap after a GC) and event-loop delay of server `i`. */
  async mem(i = 0): Promise<{ rss: number; heapUsed: number; loopDelayP99: number }> {
    const server = this.servers[i];
    server.proc.send({ cmd: 'mem' });
    const m = await server.next('', 60_000);
    const proc = procMemory(server.proc.pid!);
    return { rss: proc?.rss ?? m.mem.rss, heapUsed: m.mem.heapUsed, loopDelayP99: m.loopDelayP99 };
  }

  async load(seconds: number, rates: Rates): Promise<LoadResult> {
    const replies = await Promise.all(
      this.gens.map((g) => {
        g.proc.send({ cmd: 'load', seconds, rates });
        return g.next('load', (seconds + 60) * 1000);
      })
    );
    const lat: Record<string, number[]> = {};
    const errors: Record<string, number> = {};
    const sent: Record<string, number> = {};
    const delivered: Delivered = { cross: 0, same: 0, crossMs: [], sameMs: [] };
    for (const r of replies) {
      for (const [k, v] of Object.entries(r.lat as Record<string, number[]>)) (lat[k] ??= []).push(...v);
      addCounts(errors, r.errors);
      addCounts(sent, r.sent);
      delivered.cross += r.delivered.cross;
      delivered.same += r.delivered.same;
      delivered.crossMs.push(...r.delivered.crossMs);
      delivered.sameMs.push(...r.delivered.sameMs);
    }
    const acked = { cross: 0, same: 0 };
    for (const r of replies) {
      acked.cross += r.acked.cross;
      acked.same += r.acked.same;
    }
    return { lat, errors, sent, acked, delivered, seconds: Math.max(...replies.map((r) => r.seconds)) };
  }

  async saturate(seconds: number): Promise<SaturateResult> {
    const replies = await Promise.all(
      this.gens.map((g) => {
        g.proc.send({ cmd: 'saturate', seconds, inFlight: 64 });
        return g.next('saturate', (seconds + 60) * 1000);
      })
    );
    const lat = replies.flatMap((r) => r.lat as number[]);
    const errors: Record<string, number> = {};
    for (const r of replies) addCounts(errors, r.errors);
    const done = replies.reduce((n, r) => n + r.done, 0);
    return { perSecond: done / Math.max(...replies.map((r) => r.seconds)), done, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
  }

  /** Closes every peer connection; the generators stay up for the next servers. */
  async disconnectPeers(): Promise<void> {
    await Promise.all(
      this.gens.map((g) => {
        g.proc.send({ cmd: 'close' });
        return g.next('closed', 60_000).catch(() => undefined);
      })
    );
    this.peers = 0;
  }

  /** Kills the servers (by PID) and waits for them to exit. */
  async stopServers(): Promise<void> {
    await Promise.all(this.servers.map((s) => stopChild(s)));
    this.servers = [];
  }

  async stop(): Promise<void> {
    await this.disconnectPeers();
    await Promise.all(this.gens.map((g) => stopChild(g)));
    this.gens.length = 0;
    await this.stopServers();
    await sleep(1000);
  }
}

async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
  c.proc.kill();
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
