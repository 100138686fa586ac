/**
 * The swarm experiment's record, a text summary, and its plots as SVG: completion-time
 * distribution, throughput over time, upload share per peer.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { barChartSvg, lineChartSvg, type Series } from '../lib/svg-plot.ts';
import { percentile } from '../lib/stats.ts';
import type { SwarmConfig } from './args.ts';
import type { Role } from './peer.ts';

export interface PeerSample {
  t: number;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  sessions: number;
}

export interface PeerFinal {
  bytesUp: number;
  bytesDown: number;
  uploadedByFile: Record<string, number>;
  /** content id → source peer id → chunks stored from it ('self': a file this peer shared itself). */
  sources: Record<string, Record<string, number>>;
  rawDownBySource: Record<string, number>;
  reputationEvents: Record<string, number>;
  warnings: Record<string, number>;
  /** Final reputation score of every peer this one dealt with, in [-1, 1]. */
  reputation: Record<string, number>;
}

export interface PeerRecord {
  index: number;
  peerId: string;
  role: Role;
  /** Joined during the run to replace a peer that left. */
  newcomer: boolean;
  joinedAt: number;
  readyAt: number | null;
  leftAt: number | null;
  /** content id → when it completed (ms since the start) and how long the download took. */
  completions: Record<string, { at: number; ms: number }>;
  last: PeerSample | null;
  final: PeerFinal | null;
}

export interface SwarmRecord {
  config: SwarmConfig;
  started: string;
  downloadsStartedAt?: number;
  files: { id: string; name: string; size: number }[];
  peers: PeerRecord[];
  /** One point a second: every live peer's totals and rates. */
  timeline: { t: number; alive: number; peers: Record<number, { up: number; down: number; upRate: number; downRate: number }> }[];
  endedAt: number;
  outcome: string;
}

const MiB = 1024 * 1024;
const up = (p: PeerRecord) => p.final?.bytesUp ?? p.last?.bytesUp ?? 0;

function label(p: PeerRecord): string {
  const kind = p.role === 'leecher' ? (p.newcomer ? 'newcomer' : 'leecher') : p.role;
  return `${p.index} ${kind}${p.leftAt !== null ? ' (left)' : ''}`;
}

/**
 * The fluid lower bound of a flash crowd (DESIGN.md): N downloaders that all want F bytes cannot
 * finish before the seeders have sent one copy (F / u_seed), nor before the swarm's whole upload
 * capacity has moved N copies (N·F / (u_seed + Σ u_downloaders)). Lying seeders add nothing
 * useful, so u_seed counts honest seeders only. Undefined without an upload limit.
 */
export function fluidBound(cfg: SwarmConfig): number | null {
  if (!cfg.uploadLimit) return null;
  const f = cfg.files * cfg.size;
  const n = cfg.peers - cfg.seeders;
  const uSeed = (cfg.seeders - cfg.liars) * cfg.uploadLimit;
  return Math.max(f / uSeed, (n * f) / (uSeed + n * cfg.uploadLimit));
}

/**
 * Swarm-wide bytes per second between consecutive timeline points, from every peer's totals
 * (not from their rate meters): what all downloaded and what seeders and downloaders uploaded.
 * A peer seen for the first time counts from zero; one that left counts no more.
 */
export function throughputSeries(r: SwarmRecord): { t: number; down: number; upSeeders: number; upDownloaders: number }[] {
  const isSeeder = new Map(r.peers.map((p) => [p.index, p.role !== 'leecher']));
  const out: { t: number; down: number; upSeeders: number; upDownloaders: number }[] = [];
  for (let i = 1; i < r.timeline.length; i++) {
    const a = r.timeline[i - 1];
    const b = r.timeline[i];
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    let down = 0;
    let upSeeders = 0;
    let upDownloaders = 0;
    for (const [k, v] of Object.entries(b.peers)) {
      const before = a.peers[Number(k)] ?? { up: 0, down: 0 };
      down += v.down - before.down;
      if (isSeeder.get(Number(k))) upSeeders += v.up - before.up;
      else upDownloaders += v.up - before.up;
    }
    out.push({ t: b.t, down: down / dt, upSeeders: upSeeders / dt, upDownloaders: upDownloaders / dt });
  }
  return out;
}

export function summarize(r: SwarmRecord): string {
  const times = r.peers.flatMap((p) => Object.values(p.completions).map((c) => c.ms / 1000));
  const total = r.peers.reduce((n, p) => n + up(p), 0);
  const bySeeders = r.peers.filter((p) => p.role !== 'leecher').reduce((n, p) => n + up(p), 0);
  const totalDown = r.peers.reduce((n, p) => n + (p.final?.bytesDown ?? p.last?.bytesDown ?? 0), 0);
  const bound = fluidBound(r.config);
  const p90 = percentile(times, 90);
  // What the machine delivered: all bytes downloaded over the span from the first downloader's
  // start to the last completion, against what the upload limits would allow (the fluid model's
  // capacity). Far below it, the machine (CPU) is the bottleneck, not the swarm's algorithm.
  const starts = r.peers.filter((p) => p.role === 'leecher' && p.readyAt !== null).map((p) => p.readyAt!);
  const ends = r.peers.flatMap((p) => Object.values(p.completions).map((c) => c.at));
  const span = starts.length > 0 && ends.length > 0 ? (Math.max(...ends) - Math.min(...starts)) / 1000 : 0;
  const capacity = r.config.uploadLimit * (r.config.peers - r.config.liars);
  const sum = (key: 'warnings' | 'reputationEvents') => {
    const out: Record<string, number> = {};
    for (const p of r.peers) for (const [k, v] of Object.entries(p.final?.[key] ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const warnings = sum('warnings');
  // Chunks stored, by the role of the peer they came from; and what peers think of each role.
  const kindOf = new Map(r.peers.map((p) => [p.peerId, p.role === 'leecher' && p.newcomer ? 'newcomer' : p.role]));
  const fromRole: Record<string, number> = {};
  const scores: Record<string, number[]> = {};
  for (const p of r.peers) {
    for (const bySource of Object.values(p.final?.sources ?? {})) {
      for (const [src, n] of Object.entries(bySource)) {
        if (src === 'self') continue;
        const k = kindOf.get(src) ?? 'unknown';
        fromRole[k] = (fromRole[k] ?? 0) + n;
      }
    }
    for (const [peer, score] of Object.entries(p.final?.reputation ?? {})) (scores[kindOf.get(peer) ?? 'unknown'] ??= []).push(score);
  }
  const meanScores = Object.entries(scores).map(([k, v]) => `${k} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)}`);
  const lines = [
    `swarm: ${r.config.peers} peers (${r.config.seeders} seeders, ${r.config.liars} lying), ${r.config.files} files × ${(r.config.size / MiB).toFixed(1)} MiB, churn ${r.config.churn}/min, upload limit ${r.config.uploadLimit ? `${(r.config.uploadLimit / MiB).toFixed(1)} MiB/s` : 'none'}${r.config.superSeed ? ', super-seeding' : ''}${r.config.uploadSlots !== undefined ? `, ${r.config.uploadSlots} upload slots + 1` : ''}`,
    `outcome: ${r.outcome} after ${(r.endedAt / 1000).toFixed(1)} s; ${r.peers.filter((p) => p.leftAt !== null).length} left, ${r.peers.filter((p) => p.newcomer).length} joined`,
    `downloads completed: ${times.length}; completion time p50 ${percentile(times, 50).toFixed(1)} s, p90 ${percentile(times, 90).toFixed(1)} s, max ${Math.max(0, ...times).toFixed(1)} s`,
    `aggregate download rate ${span > 0 ? (totalDown / MiB / span).toFixed(1) : '–'} MiB/s over ${span.toFixed(1)} s${capacity > 0 ? ` (the upload limits allow ${(capacity / MiB).toFixed(0)} MiB/s)` : ''}`,
    `fluid lower bound ${bound === null ? 'n/a (no upload limit)' : `${bound.toFixed(1)} s; p90 / bound ${(p90 / bound).toFixed(2)}`}`,
    `uploaded ${(total / MiB).toFixed(0)} MiB in all (downloaded ${(totalDown / MiB).toFixed(0)} MiB), ${total > 0 ? ((bySeeders / total) * 100).toFixed(0) : 0}% by the initial seeders, ${total > 0 ? (100 - Math.round((bySeeders / total) * 100)).toFixed(0) : 0}% by downloaders`,
    `corrupt chunks caught: ${warnings.CHUNK_HASH_MISMATCH ?? 0}; peers dropped: ${warnings.PEER_DROPPED ?? 0}; timeouts: ${warnings.TIMEOUT ?? 0}; failed connections: ${warnings.CONNECT_FAILED ?? 0}`,
    `chunks stored, by who sent them: ${JSON.stringify(fromRole)}`,
    `reputation events: ${JSON.stringify(sum('reputationEvents'))}; mean final score by role (−1…1): ${meanScores.join(', ')}`
  ];
  return lines.join('\n');
}

export async function renderPlots(r: SwarmRecord, dir: string): Promise<string[]> {
  const start = r.downloadsStartedAt ?? 0;
  // Completion-time distribution: share of downloads done within t seconds, one curve per file.
  const series: Series[] = r.files.map((f) => {
    const ts = r.peers
      .map((p) => p.completions[f.id]?.ms)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    return { name: f.name, points: ts.map((t, i) => [t / 1000, ((i + 1) / ts.length) * 100] as [number, number]) };
  });
  const completion = lineChartSvg({
    title: `Completion times: ${r.config.peers} peers, ${r.config.files} × ${(r.config.size / MiB).toFixed(0)} MiB, churn ${r.config.churn}/min`,
    xLabel: 'seconds from the start of the download',
    yLabel: '% of downloads of the file complete',
    series,
    dots: true,
    xFromZero: true
  });
  // Throughput over time, from the peers' byte totals: what all downloaded, and uploads split into
  // initial seeders and downloaders (downloads = the two uploads, within a sample's skew).
  const tp = throughputSeries(r);
  const pts = (f: (s: (typeof tp)[number]) => number) => tp.map((s) => [(s.t - start) / 1000, f(s) / MiB] as [number, number]);
  const throughput = lineChartSvg({
    title: 'Throughput over time (sum over live peers)',
    xLabel: 'seconds since the downloaders were started',
    yLabel: 'MiB/s',
    series: [
      { name: 'download, all peers', points: pts((s) => s.down) },
      { name: 'upload by seeders', points: pts((s) => s.upSeeders) },
      { name: 'upload by downloaders', points: pts((s) => s.upDownloaders) },
      // With churn, how many peers were live (a count on the same axis).
      ...(r.config.churn > 0 ? [{ name: 'live peers (count)', points: r.timeline.map((s) => [(s.t - start) / 1000, s.alive] as [number, number]) }] : [])
    ]
  });
  const colors: Record<string, string> = { seeder: '#1f77b4', liar: '#d62728', leecher: '#2ca02c', newcomer: '#ff7f0e' };
  const totalUp = r.peers.reduce((n, p) => n + up(p), 0) || 1;
  const share = barChartSvg({
    title: 'Upload share per peer (% of all bytes uploaded)',
    xLabel: 'peer (blue: seeder, red: lying seeder, green: downloader, orange: newcomer; "(left)": churned out)',
    yLabel: '% of all uploads',
    bars: r.peers.map((p) => ({
      label: label(p),
      value: (up(p) / totalUp) * 100,
      color: p.leftAt !== null ? '#999999' : colors[p.role === 'leecher' && p.newcomer ? 'newcomer' : p.role]
    }))
  });
  const out = { 'completion-times.svg': completion, 'throughput.svg': throughput, 'upload-share.svg': share };
  for (const [name, svg] of Object.entries(out)) await writeFile(join(dir, name), svg);
  return Object.keys(out).map((n) => join(dir, n));
}
