/**
 * `npm run swarm -- --peers N --files M --size S [--churn R]`: a swarm experiment on this
 * machine. Starts the real tracker and N headless peers (bench/swarm/peer.ts: PeerEngine over TCP
 * on loopback, one process each), some seeding and some downloading, optionally with churn
 * (peers leaving abruptly and newcomers joining) and lying seeders; collects every peer's
 * metrics into one JSON file and renders plots as SVG (bench/swarm/plots.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSwarmArgs, USAGE, UsageError, type SwarmConfig } from './args.ts';
import type { FileSpec, Role } from './peer.ts';
import { renderPlots, summarize, type SwarmRecord, type PeerRecord } from './plots.ts';

const HERE = import.meta.dirname;
const log = (m: string) => process.stderr.write(`swarm: ${m}\n`);

interface LivePeer {
  rec: PeerRecord;
  proc: ChildProcess;
  ready: Promise<void>;
  final: Promise<void> | null;
}

function forkTs(script: string, args: string[] = []): ChildProcess {
  return fork(script, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function startTracker(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = forkTs(join(HERE, '..', 'tracker', 'server.ts'), ['shoal', dataDir]);
  const port = await new Promise<number>((res, rej) => {
    proc.once('message', (m: any) => res(m.port));
    proc.once('exit', (c) => rej(new Error(`tracker exited with ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}`, proc };
}

async function run(cfg: SwarmConfig): Promise<void> {
  const out = resolve(cfg.out);
  await mkdir(out, { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), 'shoal-swarm-'));
  const started = Date.now();
  const now = () => Date.now() - started;
  const tracker = await startTracker(join(tmp, 'tracker'));
  log(`tracker at ${tracker.url}; ${cfg.peers} peers (${cfg.seeders} seeders, ${cfg.liars} lying), ${cfg.files} × ${cfg.size} bytes, churn ${cfg.churn}/min`);
  const files: FileSpec[] = Array.from({ length: cfg.files }, (_, i) => ({ name: `swarm-file-${i}.bin`, size: cfg.size, seed: `${cfg.seed}-${i}` }));
  const live = new Map<number, LivePeer>();
  const record: SwarmRecord = { config: cfg, started: new Date(started).toISOString(), files: [], peers: [], timeline: [], endedAt: 0, outcome: '' };
  const ports: Record<string, number> = {};
  let ids: string[] = [];
  let nextIndex = 0;
  let crashed: string | null = null;
  let stopping = false;

  const spawnPeer = (role: Role, newcomer: boolean): LivePeer => {
    const index = nextIndex++;
    const rec: PeerRecord = {
      index,
      peerId: '',
      role,
      newcomer,
      joinedAt: now(),
      readyAt: null,
      leftAt: null,
      completions: {},
      last: null,
      final: null
    };
    record.peers.push(rec);
    const proc = forkTs(join(HERE, 'peer.ts'));
    let resolveFinal: () => void = () => undefined;
    let shared = 0;
    const p: LivePeer = { rec, proc, ready: Promise.resolve(), final: null };
    p.ready = new Promise<void>((res, rej) => {
      proc.on('message', (m: any) => {
        if (m.ev === 'booted') proc.send({ cmd: 'start', trackerUrl: tracker.url, role, files, uploadLimit: cfg.uploadLimit, superSeed: cfg.superSeed && role === 'seeder', uploadSlots: cfg.uploadSlots });
        else if (m.ev === 'ready') {
          rec.peerId = m.peerId;
          rec.readyAt = now();
          ports[m.peerId] = m.port;
          proc.send({ cmd: 'ports', ports });
          for (const other of live.values()) if (other !== p && other.proc.connected) other.proc.send({ cmd: 'ports', ports: { [m.peerId]: m.port } });
          if (role === 'leecher') {
            proc.send({ cmd: 'download', ids });
            res();
          }
        } else if (m.ev === 'shared') {
          if (!ids.includes(m.id)) {
            ids.push(m.id);
            record.files.push({ id: m.id, name: m.name, size: cfg.size });
          }
          // A seeder is ready once it has shared every file.
          if (++shared === files.length) res();
        } else if (m.ev === 'sample') rec.last = { t: now(), bytesUp: m.bytesUp, bytesDown: m.bytesDown, upRate: m.upRate, downRate: m.downRate, sessions: m.sessions };
        else if (m.ev === 'complete') rec.completions[m.id] = { at: now(), ms: m.ms };
        else if (m.ev === 'final') {
          rec.final = m;
          resolveFinal();
        } else if (m.ev === 'error') {
          log(`peer ${index} failed: ${m.message}`);
          rej(new Error(m.message));
        }
      });
      proc.once('exit', (code, signal) => {
        // A peer that was not sent away (churn) died: the run cannot complete, so end it now
        // instead of waiting for --timeout.
        if (rec.leftAt === null && !stopping) crashed ??= `peer ${index} (${role}) exited unexpectedly (${signal ?? `code ${code}`})`;
        rej(new Error(`peer ${index} exited`));
      });
    });
    p.ready.catch(() => undefined);
    p.final = new Promise<void>((r) => (resolveFinal = r));
    live.set(index, p);
    return p;
  };

  const leave = (p: LivePeer) => {
    p.rec.leftAt = now();
    p.proc.kill('SIGKILL');
    live.delete(p.rec.index);
    if (p.rec.peerId) {
      delete ports[p.rec.peerId];
      for (const other of live.values()) if (other.proc.connected) other.proc.send({ cmd: 'forget', peers: [p.rec.peerId] });
    }
  };

  let sampler: ReturnType<typeof setInterval> | null = null;
  let churner: ReturnType<typeof setInterval> | null = null;
  try {
    // Seeders first (they hash the files and announce them), in small batches: each peer loads TypeScript.
    const honest = cfg.seeders - cfg.liars;
    const seeders: LivePeer[] = [];
    for (let i = 0; i < cfg.seeders; i++) seeders.push(spawnPeer(i < honest ? 'seeder' : 'liar', false));
    await Promise.all(seeders.map((s) => s.ready));
    log(`${cfg.seeders} seeders ready after ${(now() / 1000).toFixed(1)} s; files ${ids.map((i) => i.slice(0, 8)).join(', ')}`);
    record.downloadsStartedAt = now();
    sampler = setInterval(() => {
      const peers: Record<number, { up: number; down: number; upRate: number; downRate: number }> = {};
      for (const p of live.values()) if (p.rec.last) peers[p.rec.index] = { up: p.rec.last.bytesUp, down: p.rec.last.bytesDown, upRate: p.rec.last.upRate, downRate: p.rec.last.downRate };
      record.timeline.push({ t: now(), alive: live.size, peers });
    }, 1000);
    const leechers: LivePeer[] = [];
    for (let i = cfg.seeders; i < cfg.peers; i++) leechers.push(spawnPeer('leecher', false));
    await Promise.all(leechers.map((l) => l.ready.catch(() => undefined)));
    log(`${leechers.length} leechers started after ${(now() / 1000).toFixed(1)} s`);
    const churnEnd = now() + cfg.duration * 1000;
    if (cfg.churn > 0) {
      churner = setInterval(() => {
        if (now() > churnEnd) return;
        const candidates = [...live.values()].filter((p) => p.rec.role === 'leecher' && p.rec.readyAt !== null);
        if (candidates.length === 0) return;
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        leave(victim);
        spawnPeer('leecher', true);
      }, 60_000 / cfg.churn);
    }
    const deadline = started + cfg.timeout * 1000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const waiting = [...live.values()].filter((p) => p.rec.role === 'leecher' && Object.keys(p.rec.completions).length < ids.length);
      if ((cfg.churn === 0 || now() > churnEnd) && waiting.length === 0) {
        record.outcome = 'every peer present at the end has every file';
        break;
      }
      if (crashed !== null) {
        record.outcome = `stopped: ${crashed}`;
        break;
      }
      if (Date.now() > deadline) {
        record.outcome = `timed out after ${cfg.timeout} s with ${waiting.length} peers still downloading`;
        break;
      }
    }
    record.endedAt = now();
    log(`${record.outcome} (${(record.endedAt / 1000).toFixed(1)} s)`);
  } finally {
    stopping = true;
    if (sampler) clearInterval(sampler);
    if (churner) clearInterval(churner);
    const alive = [...live.values()].filter((p) => p.proc.connected);
    for (const p of alive) p.proc.send({ cmd: 'final' });
    await Promise.race([Promise.all(alive.map((p) => p.final)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const p of live.values()) p.proc.kill('SIGKILL');
    tracker.proc.kill();
    await rm(tmp, { recursive: true, force: true });
  }
  // Compact: one line per peer record would still be readable with `jq`; the timeline makes it long.
  await writeFile(join(out, 'swarm.json'), `${JSON.stringify(record)}\n`);
  const plots = await renderPlots(record, out);
  process.stdout.write(`${summarize(record)}\nwrote ${join(out, 'swarm.json')} and ${plots.join(', ')}\n`);
}

let cfg: SwarmConfig | 'help';
try {
  cfg = parseSwarmArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`swarm: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (cfg === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  await run(cfg);
  process.exit(0);
} catch (err) {
  process.stderr.write(`swarm: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
}
