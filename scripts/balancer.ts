/**
 * A small TCP balancer for trying several tracker processes on one machine (README, "Several
 * tracker processes") and for the tests: every new connection goes to one backend, and to the
 * next one if that refuses it. `ordered` always starts with the first backend (a primary and
 * backups); `round-robin` starts each connection one further along. When a backend dies its
 * connections close; the clients' reconnections reach a live backend. Not for production: use
 * nginx, HAProxy or Caddy there.
 *
 *   npm run balancer -- --listen 8480 8470 8471        # round-robin over two processes
 *   npm run balancer -- --listen 8480 --ordered 8470 8471
 */
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Balancer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export interface BalancerOptions {
  /** Ports of the backends on 127.0.0.1. */
  backends: number[];
  mode?: 'ordered' | 'round-robin';
  /** Port to listen on (default any free one), on 127.0.0.1. */
  port?: number;
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export async function startBalancer(opts: BalancerOptions): Promise<Balancer> {
  if (opts.backends.length === 0) throw new Error('Give at least one backend port.');
  const open = new Set<Socket>();
  let turn = 0;
  const server = createServer(async (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const first = opts.mode === 'round-robin' ? turn++ % opts.backends.length : 0;
    for (let i = 0; i < opts.backends.length; i++) {
      const port = opts.backends[(first + i) % opts.backends.length];
      try {
        const upstream = await dial(port);
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        return;
      } catch {
        // next backend
      }
    }
    client.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}

function parsePort(text: string | undefined, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`balancer: ${what} must be a port (1-65535), got ${JSON.stringify(text)}\n`);
    process.stderr.write('usage: npm run balancer -- --listen <port> [--ordered] <backend-port>...\n');
    process.exit(2);
  }
  return n;
}

async function main(argv: string[]): Promise<void> {
  let listen: number | undefined;
  let mode: 'ordered' | 'round-robin' = 'round-robin';
  const backends: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--listen') listen = parsePort(argv[++i], '--listen');
    else if (argv[i] === '--ordered') mode = 'ordered';
    else backends.push(parsePort(argv[i], 'a backend'));
  }
  if (listen === undefined || backends.length === 0) parsePort(undefined, listen === undefined ? '--listen' : 'a backend');
  const b = await startBalancer({ port: listen, backends, mode });
  process.stdout.write(`balancer on ${b.url} → ${backends.map((p) => `127.0.0.1:${p}`).join(', ')} (${mode})\n`);
  const stop = () => void b.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`balancer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
