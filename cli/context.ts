import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../src/lib/log.ts';
import type { Settings } from './args.ts';
import { DEFAULT_DATA_DIR_NAME, DEFAULT_TCP_PORT } from './constants.ts';
import type { CounterName } from './counters.ts';
import { NodePeer, type NodePeerOptions } from './node-peer.ts';
import type { Output } from './output.ts';

/** What every command gets: validated settings, the output, a logger, and a signal for Ctrl-C. */
export interface Context {
  settings: Settings;
  out: Output;
  log: Logger;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
  cwd: string;
}

export function dataDirOf(s: Settings): string {
  return s.dataDir ? resolve(s.dataDir) : join(homedir(), DEFAULT_DATA_DIR_NAME);
}

export function outputDirOf(ctx: Context): string {
  return resolve(ctx.cwd, ctx.settings.output ?? '.');
}

/** `<tracker>/d/<id>`, the link a browser opens; null without a tracker. */
export function shareLink(s: Settings, id: string): string | null {
  return s.tracker ? `${s.tracker}/d/${id}` : null;
}

/** Starts the Node peer with the command's settings. */
export async function startPeer(ctx: Context, extra: Partial<NodePeerOptions> = {}): Promise<NodePeer> {
  const s = ctx.settings;
  const peer = await NodePeer.start({
    dataDir: dataDirOf(s),
    downloadDir: outputDirOf(ctx),
    force: s.force,
    tracker: s.tracker,
    trackers: s.trackers,
    lan: s.lan ? { address: s.lanAddress, port: s.lanPort, interface: s.lanInterface } : null,
    tcpPort: s.port,
    tcpPortFallback: !s.portExplicit && s.port === DEFAULT_TCP_PORT,
    maxPeers: s.maxPeers,
    uploadLimit: s.uploadLimit,
    superSeed: s.superSeed,
    // The default tracker may simply not be running: wait for it briefly only.
    trackerWaitMs: s.trackerExplicit ? 10_000 : 2_000,
    log: ctx.log,
    ...extra
  });
  reportCounters(ctx, peer);
  ctx.out.emit('ready', {
    peerId: peer.peerId,
    ephemeral: peer.ephemeral,
    tcpPort: peer.tcp?.port ?? null,
    tracker: s.tracker,
    trackerConnected: peer.tracker?.connected ?? false,
    lan: s.lan ? `${s.lanAddress}:${s.lanPort}` : null
  });
  return peer;
}

const REPORTED: CounterName[] = ['malformedDatagrams', 'malformedFrames', 'malformedWireMessages', 'refusedConnections', 'evictedConnections'];

/** Drops and refusals are logged (warn) and, with --json, reported at most once a second per kind. */
function reportCounters(ctx: Context, peer: NodePeer): void {
  const last = new Map<CounterName, number>();
  const pending = new Map<CounterName, { value: number; detail: string }>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    for (const [name, { value, detail }] of pending) ctx.out.emit('counter', { name, value, detail });
    pending.clear();
  };
  peer.counters.onAdd((name, value, detail) => {
    if (!REPORTED.includes(name)) return;
    ctx.log.warn(`dropped: ${name}`, { count: value, detail });
    const now = Date.now();
    pending.set(name, { value, detail });
    if ((last.get(name) ?? 0) + 1000 <= now) {
      last.set(name, now);
      flush();
    } else timer ??= setTimeout(flush, 1000);
  });
}

/** Resolves when the signal aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
