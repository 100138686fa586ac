/**
 * Test helper: Debian's coturn (`turnserver`) on one address and a free UDP port, with the TURN
 * REST shared-secret scheme (`use-auth-secret`), no TLS, its relay ports in a small range, its
 * log captured. Only inside the e2e network namespace (the address is the namespace's
 * 10.99.0.1, so relay candidates are reachable from Chromium). `stop()` kills it and removes its
 * temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './service.ts';

export const TURNSERVER_PATH = '/usr/bin/turnserver';

export interface Coturn {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  /** `turn:host:port?transport=udp`. */
  readonly url: string;
  /** Everything it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startCoturn(host: string, opts: { timeoutMs?: number } = {}): Promise<Coturn> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-coturn-'));
  const port = await freeUdpPort(host);
  const secret = randomBytes(24).toString('base64url');
  // Relay ports: 200 right above the listening port's neighbourhood would collide with nothing
  // in a fresh namespace; keep them in a fixed high range of their own.
  const minPort = 40_000 + (port % 20) * 1_000;
  const args = [
    '-n', // no configuration file
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-tcp-relay',
    '--fingerprint',
    `--listening-ip=${host}`,
    `--relay-ip=${host}`,
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 999}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=shoal',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    '--log-file=stdout',
    '--simple-log',
    '--verbose'
  ];
  const service = await startService({
    name: 'turnserver',
    command: TURNSERVER_PATH,
    args,
    dir,
    ready: /UDP listener opened on/i,
    timeoutMs: opts.timeoutMs
  });
  return { host, port, secret, url: `turn:${host}:${port}?transport=udp`, log: service.log, stop: service.stop };
}
