/**
 * The reference for Node-to-Node transfers: a raw `net` socket copying the same file from one
 * process to another, read from disk in 1 MiB pieces and written to a file at the other end
 * (as `shoal get` writes its download), on loopback. Run as a child process:
 *   tsx bench/lib/raw-tcp.ts send <file>        prints {"port": n}, serves the file once, then {"cpu": s}
 *   tsx bench/lib/raw-tcp.ts recv <port> <out>  prints {"bytes": n, "ms": t, "peakRss": b, "cpu": s} (connect → written)
 * (cpu: CPU seconds, user + system, from the connection to the end of the copy.)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const PIECE = 1024 * 1024;

async function send(file: string): Promise<void> {
  const server = createServer((socket) => {
    const cpu0 = process.cpuUsage();
    void pipeline(createReadStream(file, { highWaterMark: PIECE }), socket).finally(() => {
      process.stdout.write(`${JSON.stringify({ cpu: cpuSince(cpu0) })}\n`);
      server.close();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

async function recv(port: number, out: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const socket = createConnection({ host: '127.0.0.1', port });
  let bytes = 0;
  socket.on('data', (b: Buffer) => (bytes += b.length));
  await pipeline(socket, createWriteStream(out, { highWaterMark: PIECE }));
  // maxRSS: this process's peak resident set, in KiB (getrusage).
  process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - t0, peakRss: process.resourceUsage().maxRSS * 1024, cpu: cpuSince(cpu0) })}\n`);
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** Runs both halves as child processes and resolves with what the receiver measured. */
export async function rawTcpCopy(file: string, out: string): Promise<{ bytes: number; ms: number; peakRss: number; cpu: { sender: number; receiver: number } }> {
  const self = fileURLToPath(import.meta.url);
  const tsx = ['--import', 'tsx'];
  const sender = spawn(process.execPath, [...tsx, self, 'send', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = (child: ReturnType<typeof spawn>) =>
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`raw tcp child exited with ${code}`)));
    });
  const senderLines = createInterface({ input: sender.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await senderLines.next();
    if (done) throw new Error('raw tcp sender exited early');
    return value as string;
  };
  try {
    const { port } = JSON.parse(await nextLine()) as { port: number };
    const receiver = spawn(process.execPath, [...tsx, self, 'recv', String(port), out], { stdio: ['ignore', 'pipe', 'inherit'] });
    const got = JSON.parse(await firstLine(receiver)) as { bytes: number; ms: number; peakRss: number; cpu: number };
    const sent = JSON.parse(await nextLine()) as { cpu: number };
    return { bytes: got.bytes, ms: got.ms, peakRss: got.peakRss, cpu: { sender: sent.cpu, receiver: got.cpu } };
  } finally {
    sender.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [role, a, b] = process.argv.slice(2);
  if (role === 'send') await send(a);
  else if (role === 'recv') await recv(Number(a), b);
  else {
    process.stderr.write('usage: raw-tcp.ts send <file> | recv <port> <out>\n');
    process.exit(2);
  }
}
