/**
 * Test helper: Debian's `redis-server` on 127.0.0.1 and a free port, without persistence, in a
 * temporary directory. One server serves a whole test file; tests keep apart by key prefix
 * (`uniquePrefix()`). A missing redis-server is a clear failure (`.ci/run` installs it), never a
 * skipped suite. `stop()` kills it (by its PID) and removes the directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './service.ts';

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
  const service = await startService({
    name: `redis-server on port ${port}`,
    command: REDIS_SERVER_PATH,
    args,
    dir,
    ready: /Ready to accept connections/,
    timeoutMs: opts.timeoutMs,
    stopSignal: 'SIGKILL'
  });
  return { port, url: `redis://127.0.0.1:${port}`, log: service.log, stop: service.stop };
}
