/**
 * A redis-server for a benchmark: Debian's binary (tests/helpers/redis.ts, REDIS_SERVER_PATH) on
 * 127.0.0.1 and a free port, without persistence, its directory inside the benchmark's temporary
 * directory (so a benchmark stopped by the runner leaves nothing behind: the runner kills its
 * process group, redis-server included, and run-one.ts deletes the directory). Unlike the test
 * helper, a missing binary is not an error here: the caller prints a not-run row.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freeTcpPort, REDIS_SERVER_PATH } from '../../tests/helpers/redis.ts';
import { sleep } from './stats.ts';

export interface BenchRedis {
  readonly url: string;
  readonly pid: number;
  /** Kills it (by its PID) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Why redis-server cannot run here, or null if it can. */
export function redisMissing(): string | null {
  return existsSync(REDIS_SERVER_PATH) ? null : `redis-server is not installed at ${REDIS_SERVER_PATH} (apt-get install redis-server, or set REDIS_SERVER_PATH)`;
}

export async function startBenchRedis(tmp: string, timeoutMs = 10_000): Promise<BenchRedis> {
  const dir = join(tmp, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freeTcpPort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'];
  const child = spawn(REDIS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}: ${output.slice(-500)}`);
    }
    await sleep(20);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop };
}
