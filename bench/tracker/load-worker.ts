/**
 * One load-generator process of the tracker benchmark: holds many real socket.io-client
 * connections (websocket transport, one engine.io connection each, like browser tabs) and, on
 * command over IPC, connects more of them, runs a timed workload, or saturates the server with
 * announces. Latencies are measured from emit to acknowledgement. Peers count the signals they
 * receive (their partner sends them from this same process, so the delivery time is measured too).
 *
 * Commands: {cmd:'connect', ports, hosts, from, count}, {cmd:'load', seconds, rates},
 * {cmd:'saturate', seconds, inFlight}, {cmd:'close'}. Replies: {ev:'connected'|'load'|'saturate'|'closed', ...}.
 * With several ports (tracker processes sharing a Redis), peer g connects to ports[portIndex(g, n)].
 */
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { benchFile, FILE_CHUNKS, filesOfPeer, WORDS } from './files.ts';

interface Peer {
  g: number;
  /** Which of the tracker processes (ports) it is connected to. */
  server: number;
  socket: Socket;
  peerId: string;
  files: string[];
}

/** Events per peer per second, by kind. */
export interface Rates {
  announce: number;
  search: number;
  signal: number;
  whohas: number;
  heartbeat: number;
}

const ACK_TIMEOUT_MS = 10_000;
const CONNECT_CONCURRENCY = 100;
/** After a load window, how long signals still on their way may take to arrive. */
const DELIVERY_GRACE_MS = 2_000;
const peers: Peer[] = [];
const byGlobal = new Map<number, Peer>();

/**
 * The tracker process (index into the ports) of peer g among n. Partners (g, g ^ 1) sit together
 * in half of the pairs and apart in the other half, as a balancer spreading peers at random over
 * two processes would place them; every process gets the same number of peers.
 */
function portIndex(g: number, n: number): number {
  const pair = g >> 1;
  const apart = (g & 1) === 1 && pair % 4 >= 2;
  return (pair + (apart ? 1 : 0)) % n;
}

/** Signals received in the current load window, by whether the sender sat on another process. */
const received = { cross: 0, same: 0, crossMs: [] as number[], sameMs: [] as number[] };

function onSignal(m: unknown): void {
  const data = (m as { data?: { cid?: unknown; x?: unknown; t?: unknown } } | null)?.data;
  if (data?.cid !== 'bench' || typeof data.t !== 'number') return;
  const ms = performance.now() - data.t;
  if (data.x === 1) {
    received.cross++;
    received.crossMs.push(ms);
  } else {
    received.same++;
    received.sameMs.push(ms);
  }
}

function send(m: unknown): void {
  process.send!(m);
}

function emitTimed(socket: Socket, event: string, payload: unknown): Promise<{ ms: number; ok: boolean; code?: string; body?: any }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err: Error | null, res: any) => {
      const ms = performance.now() - t0;
      if (err) resolve({ ms, ok: false, code: 'TIMEOUT' });
      else resolve({ ms, ok: res?.ok === true, code: res?.ok ? undefined : res?.code, body: res });
    });
  });
}

async function connectOne(g: number, server: number, url: string): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const socket = io(url, { auth: { token, kind: 'browser' }, forceNew: true, reconnection: false, transports: ['websocket'], timeout: 30_000 });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  const hello = await emitTimed(socket, 'hello', {});
  if (!hello.ok) throw new Error(`hello: ${hello.code}`);
  const files = await Promise.all(filesOfPeer(g).map((k) => benchFile(k)));
  const ann = await emitTimed(socket, 'announce', { files: files.map((f) => ({ id: f.id, manifest: f.manifest, have: FILE_CHUNKS })) });
  if (!ann.ok) throw new Error(`announce: ${ann.code}`);
  socket.on('signal', onSignal);
  const peer = { g, server, socket, peerId: String(hello.body.peerId), files: files.map((f) => f.id) };
  peers.push(peer);
  byGlobal.set(g, peer);
}

async function connect(ports: number[], hosts: string[], from: number, count: number): Promise<void> {
  const t0 = performance.now();
  let next = from;
  let failed = 0;
  const errors: Record<string, number> = {};
  const worker = async () => {
    while (next < from + count) {
      const g = next++;
      try {
        const server = portIndex(g, ports.length);
        await connectOne(g, server, `http://${hosts[g % hosts.length]}:${ports[server]}`);
      } catch (err) {
        failed++;
        const key = (err as Error).message.slice(0, 80);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  send({ ev: 'connected', total: peers.length, failed, errors, ms: performance.now() - t0 });
}

const pick = () => peers[Math.floor(Math.random() * peers.length)];

/** Open-loop workload: events fired on a schedule whatever the answers, latencies recorded. */
async function load(seconds: number, rates: Rates): Promise<void> {
  const lat: Record<string, number[]> = { announce: [], search: [], signal: [], whohas: [], heartbeat: [] };
  const errors: Record<string, number> = {};
  const sent: Record<string, number> = { announce: 0, search: 0, signal: 0, whohas: 0, heartbeat: 0 };
  const owed: Record<string, number> = { announce: 0, search: 0, signal: 0, whohas: 0, heartbeat: 0 };
  const pending: Promise<void>[] = [];
  let ackedCross = 0;
  let ackedSame = 0;
  received.cross = received.same = 0;
  received.crossMs = [];
  received.sameMs = [];
  const fire = (kind: keyof Rates) => {
    const p = pick();
    if (!p) return;
    let payload: unknown;
    let event: string = kind;
    /** For a signal: 1 if the partner sits on another tracker process, else 0. */
    let cross: number | undefined;
    if (kind === 'announce') payload = { files: [{ id: p.files[Math.random() < 0.5 ? 0 : 1], have: Math.floor(Math.random() * (FILE_CHUNKS + 1)) }] };
    else if (kind === 'search') payload = { q: WORDS[Math.floor(Math.random() * WORDS.length)], limit: 20 };
    else if (kind === 'whohas') payload = { id: p.files[1] };
    else if (kind === 'heartbeat') payload = {};
    else {
      const partner = byGlobal.get(p.g ^ 1);
      if (!partner) return;
      event = 'signal';
      cross = partner.server === p.server ? 0 : 1;
      const s = { type: 'candidate', candidate: 'candidate:1 1 udp 2122260223 10.99.0.1 40000 typ host' };
      payload = { to: partner.peerId, data: { cid: 'bench', x: cross, t: performance.now(), s } };
    }
    sent[kind]++;
    pending.push(
      emitTimed(p.socket, event, payload).then((r) => {
        if (r.ok) {
          lat[kind].push(r.ms);
          if (cross === 1) ackedCross++;
          else if (cross === 0) ackedSame++;
        } else errors[`${kind}:${r.code}`] = (errors[`${kind}:${r.code}`] ?? 0) + 1;
      })
    );
  };
  const start = performance.now();
  let last = start;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const dt = (now - last) / 1000;
      last = now;
      for (const kind of Object.keys(rates) as (keyof Rates)[]) {
        owed[kind] += rates[kind] * peers.length * dt;
        while (owed[kind] >= 1) {
          owed[kind] -= 1;
          fire(kind);
        }
      }
      if (now - start >= seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(pending);
  // Acknowledged signals may still be on their way (through Redis, with several processes).
  const graceEnd = performance.now() + DELIVERY_GRACE_MS;
  while ((received.cross < ackedCross || received.same < ackedSame) && performance.now() < graceEnd) await new Promise((r) => setTimeout(r, 20));
  const delivered = { ...received };
  send({ ev: 'load', lat, errors, sent, acked: { cross: ackedCross, same: ackedSame }, delivered, seconds: elapsed, peers: peers.length });
}

/** Closed loop: `inFlight` announces outstanding at all times, for `seconds`. */
async function saturate(seconds: number, inFlight: number): Promise<void> {
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let done = 0;
  const lane = async () => {
    while (performance.now() < end) {
      const p = pick();
      const r = await emitTimed(p.socket, 'announce', { files: [{ id: p.files[0], have: Math.floor(Math.random() * (FILE_CHUNKS + 1)) }] });
      if (r.ok) {
        lat.push(r.ms);
        done++;
      } else errors[r.code ?? '?'] = (errors[r.code ?? '?'] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  send({ ev: 'saturate', done, seconds: (performance.now() - start) / 1000, lat, errors });
}

process.on('message', (m: any) => {
  const run = async () => {
    if (m.cmd === 'connect') await connect(m.ports, m.hosts, m.from, m.count);
    else if (m.cmd === 'load') await load(m.seconds, m.rates);
    else if (m.cmd === 'saturate') await saturate(m.seconds, m.inFlight);
    else if (m.cmd === 'close') {
      for (const p of peers) p.socket.close();
      peers.length = 0;
      byGlobal.clear();
      send({ ev: 'closed' });
    }
  };
  run().catch((err) => send({ ev: 'error', message: (err as Error).stack ?? String(err) }));
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
