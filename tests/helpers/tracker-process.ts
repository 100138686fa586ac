/**
 * Test helper: a tracker as its own OS process (`tsx server/start.ts`, as `npm run serve` runs
 * it), on 127.0.0.1 and a free port, with its own data directory. For tests of several processes
 * sharing one network through Redis, and of a process being killed. `kill()` sends a signal to
 * its PID (SIGKILL: a crash); `stop()` ends it and removes its directory.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeTcpPort } from './redis.ts';
import { startService } from './service.ts';

export interface TrackerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything it printed so far. */
  log(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface TrackerProcessOptions {
  /** Extra environment (REDIS_URL, SHOAL_REDIS_PREFIX, SHOAL_PEER_EXPIRY_MS, ...). */
  env?: Record<string, string>;
  /** Serve the built site too (needs `npm run build`); default false (`--no-site`). */
  site?: boolean;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default a free one. */
  port?: number;
  timeoutMs?: number;
}

export async function startTrackerProcess(opts: TrackerProcessOptions = {}): Promise<TrackerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shoal-tracker-proc-'));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freeTcpPort(host));
  // tsx as a loader in this very process (not the tsx CLI, which would run the server in a child
  // of its own that a SIGKILL of this PID would leave running).
  const args = ['--import', 'tsx', 'server/start.ts', ...(opts.site ? [] : ['--no-site'])];
  const service = await startService({
    name: `the tracker process on port ${port}`,
    command: process.execPath,
    args,
    cwd: resolve('.'),
    env: { ...process.env, SHOAL_LOG_LEVEL: 'info', ...opts.env, PORT: String(port), HOST: host, SHOAL_DATA_DIR: dataDir, VITEST: '' },
    dir: dataDir,
    ready: /listening on http:\/\//,
    timeoutMs: opts.timeoutMs ?? 30_000
  });
  return { url: `http://${host}:${port}`, port, pid: service.pid, log: service.log, exited: service.exited, kill: service.kill, stop: service.stop };
}
