/**
 * The server side of the tracker load benchmark, in its own process (so it has an event loop and
 * a core to itself as far as the machine allows):
 *   tsx bench/tracker/server.ts shoal <dataDir>   the real tracker (startShoalServer, SQLite)
 *   tsx bench/tracker/server.ts redis <redisUrl> <prefix> <dataDir>
 *                                                 the real tracker with adapter, presence and index
 *                                                 on Redis (one of several processes of a network)
 *   tsx bench/tracker/server.ts echo              a bare Socket.IO server that acks every event
 * Sends {port} over IPC; answers {cmd:'mem'} with its memory (after a GC when --expose-gc is on)
 * and event-loop delay.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { silentLogger } from '../../src/lib/log.ts';
import { MAX_HTTP_BUFFER_BYTES } from '../../src/lib/tracker/constants.ts';
import { startShoalServer } from '../../server/shoal-server.ts';

const [mode, ...args] = process.argv.slice(2);
// Inside the benchmark's private network namespace every address is local: listen on all so the
// load can spread over 127.0.0.x (one address has only ~28,000 ephemeral ports). Elsewhere, loopback.
const host = process.env.SHOAL_NETNS === '1' ? '0.0.0.0' : '127.0.0.1';
let port: number;
if (mode === 'shoal' && args.length === 1) {
  const server = await startShoalServer({ host, port: 0, dataDir: args[0], log: silentLogger });
  port = server.port;
} else if (mode === 'redis' && args.length === 3) {
  const [url, prefix, dataDir] = args;
  const server = await startShoalServer({ host, port: 0, dataDir, redis: { url, prefix }, log: silentLogger });
  port = server.port;
} else if (mode === 'echo') {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, { maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES, serveClient: false });
  io.on('connection', (socket) => {
    socket.onAny((_event: string, ...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack === 'function') (ack as (r: unknown) => void)({ ok: true });
    });
  });
  await new Promise<void>((r) => http.listen(0, host, r));
  port = (http.address() as AddressInfo).port;
} else {
  process.stderr.write('usage: server.ts shoal <dataDir> | redis <redisUrl> <prefix> <dataDir> | echo\n');
  process.exit(2);
}

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'mem') {
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send!({ mem, cpu, loopDelayP99: delay.percentile(99) / 1e6, loopDelayMax: delay.max / 1e6 });
    delay.reset();
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ port });
