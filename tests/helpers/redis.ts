/**
 * Test helper: Debian's `redis-server` on 127.0.0.1 and a free port, without persistence, in a
 * temporary directory. One server serves a whole test file; tests keep apart by key prefix
 * (`uniquePrefix()`). A missing redis-server is a clear failure (`.ci/run` installs it), never a
 * skipped suite. `stop()` kills it (by its PID) and removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Everything it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A key prefix no other test uses, e.g. `t-3f2a…:`. */
export function uniquePrefix(): string {
  return `t-${randomBytes(6).toString('hex')}:`;
}

/** `port`: a given one (e.g. to start Redis again where a stopped one was); default a free one. */
export async function startRedis(opts: { timeoutMs?: number; port?: number } = {}): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER_PATH)) {
    throw new Error(`redis-server is not installed at ${REDIS_SERVER_PATH}: run \`apt-get install -y redis-server\` (.ci/run does) or set REDIS_SERVER_PATH.`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'shoal-redis-'));
  const port = opts.port ?? (await freeTcpPort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'];
  const child: ChildProcess = spawn(REDIS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (!/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, url: `redis://127.0.0.1:${port}`, log: () => output, stop };
}
