/**
 * Test helper: a TCP proxy on 127.0.0.1 that sends each new connection to the first of its
 * backends that accepts it, in order (like a load balancer with a primary and backups). Tabs
 * opened through two proxies with the backends in opposite orders land on different tracker
 * processes; when a process dies its connections close and the clients' reconnections reach the
 * next backend. `close()` destroys every connection and stops listening.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface FailoverProxy {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
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

export async function startFailoverProxy(backends: number[]): Promise<FailoverProxy> {
  const open = new Set<Socket>();
  const server = createServer(async (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    for (const port of backends) {
      try {
        const upstream = await dial(port);
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
    server.listen(0, '127.0.0.1', () => resolve());
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
