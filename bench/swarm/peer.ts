/**
 * One headless peer of a swarm experiment, in its own process: the shared PeerEngine with an
 * in-memory store, the real tracker as its directory (Socket.IO) and TCP wires (cli's
 * TcpTransport; ports of other peers come from the coordinator). It reports over IPC what a
 * swarm study needs: bytes up and down, completion times, which peer each stored chunk came
 * from, reputation events and the warnings it raised (corrupt chunks caught, drops, timeouts).
 *
 * IPC in: {cmd:'start', trackerUrl, role, files, uploadLimit}, {cmd:'ports', ports}, {cmd:'download', ids},
 * {cmd:'final'}. Out: {ev:'ready'|'shared'|'sample'|'complete'|'final', ...}.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { decodeMessage } from '../../src/lib/core/wire.ts';
import { nodeSha256 } from '../../cli/identity.ts';
import { Counters } from '../../cli/counters.ts';
import { TcpTransport } from '../../cli/tcp-transport.ts';
import { PeerEngine } from '../../src/lib/peer/engine.ts';
import { MemoryChunkStore } from '../../src/lib/peer/memory-store.ts';
import type { Connector, Wire } from '../../src/lib/peer/ports.ts';
import { shareBytes } from '../../src/lib/peer/share-bytes.ts';
import { TrackerClient } from '../../src/lib/peer/tracker-client.ts';

export type Role = 'seeder' | 'liar' | 'leecher';
export interface FileSpec {
  name: string;
  size: number;
  seed: string;
}

const send = (m: unknown) => process.send?.(m);
const t0 = Date.now();
const since = () => Date.now() - t0;

/** The file's bytes: AES-128-CTR over zeros keyed by its seed, the same in every seeder. */
function fileBytes(spec: FileSpec): Uint8Array {
  const key = createHash('sha256').update(spec.seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(spec.size));
}

/** A store that serves every chunk with its first byte flipped: a peer that lies. */
class LyingStore extends MemoryChunkStore {
  override async getChunk(id: string, index: number): Promise<Uint8Array | undefined> {
    const real = await super.getChunk(id, index);
    if (!real) return real;
    const bad = new Uint8Array(real);
    bad[0] ^= 0xff;
    return bad;
  }
}

/**
 * Who delivered each chunk: the peers that sent all its bytes, in order of completion, from the
 * data messages as they arrive. A peer whose copy then fails verification is struck off (engine
 * warning CHUNK_HASH_MISMATCH), so the chunk stored is credited to the first honest completer.
 */
const completers = new Map<string, string[]>();
const received = new Map<string, number>();
const rawDown = new Map<string, number>();
/** content id → chunk source peer (or 'self' for files this peer shared) → chunks stored. */
const sources = new Map<string, Map<string, number>>();

let engine: PeerEngine;

function observe(wire: Wire, remote: string): Wire {
  const onMessage = wire.onMessage.bind(wire);
  wire.onMessage = (fn) =>
    onMessage((bytes) => {
      if (bytes[0] === 4) {
        try {
          const m = decodeMessage(bytes);
          if (m.type === 'data') {
            rawDown.set(remote, (rawDown.get(remote) ?? 0) + m.bytes.length);
            const k = `${m.id}:${m.chunk}:${remote}`;
            // Every attempt at a chunk starts at offset 0 (a request timed out and asked again counts afresh).
            const got = (m.offset === 0 ? 0 : (received.get(k) ?? 0)) + m.bytes.length;
            received.set(k, got);
            if (got === engine.chunkLength(m.id, m.chunk)) {
              const list = completers.get(`${m.id}:${m.chunk}`) ?? [];
              if (!list.includes(remote)) list.push(remote);
              completers.set(`${m.id}:${m.chunk}`, list);
            }
          }
        } catch {
          // the session will close the wire for it
        }
      }
      fn(bytes);
    });
  return wire;
}

class SourceTrackingStore extends MemoryChunkStore {
  override async putChunk(id: string, index: number, bytes: Uint8Array): Promise<void> {
    await super.putChunk(id, index, bytes);
    // No completer: a chunk of a file this peer shared itself (shareBytes stores it).
    const from = completers.get(`${id}:${index}`)?.[0] ?? 'self';
    completers.delete(`${id}:${index}`);
    const m = sources.get(id) ?? new Map<string, number>();
    m.set(from, (m.get(from) ?? 0) + 1);
    sources.set(id, m);
  }
}

let ports: Record<string, number> = {};
const reputationEvents: Record<string, number> = {};
const warnings: Record<string, number> = {};

async function start(msg: { trackerUrl: string; role: Role; files: FileSpec[]; uploadLimit: number; superSeed?: boolean; uploadSlots?: number }): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const tracker = new TrackerClient({ url: msg.trackerUrl, token, kind: 'node' });
  const info = await tracker.ready();
  const peerId = info.peerId;
  const store = msg.role === 'liar' ? new LyingStore() : new SourceTrackingStore();
  const tcp = new TcpTransport({ host: '127.0.0.1', port: 0, peerId, manifestOf: (id) => engine?.file(id)?.manifest, counters: new Counters() });
  const port = await tcp.listen();
  let incoming: (peerId: string, wire: Wire) => void = () => undefined;
  tcp.onIncoming((remote, wire) => incoming(remote, observe(wire, remote)));
  const connector: Connector = {
    async connect(remote) {
      const p = ports[remote];
      if (!p) throw new Error(`no address for peer ${remote.slice(0, 8)} (it left)`);
      return observe(await tcp.connect('127.0.0.1', p), remote);
    },
    onIncoming(fn) {
      incoming = fn;
    },
    close: () => tcp.close()
  };
  engine = new PeerEngine({ peerId, store, directory: tracker, connector, sha256: nodeSha256, uploadLimit: msg.uploadLimit, reportIntervalMs: 2000, superSeed: msg.superSeed ?? false, uploadSlots: msg.uploadSlots });
  tracker.on('connected', () => void engine.announceAll().catch(() => undefined));
  engine.on('reputation', (_rep, event) => (reputationEvents[event] = (reputationEvents[event] ?? 0) + 1));
  engine.on('warning', (peer, code, message, id) => {
    warnings[code] = (warnings[code] ?? 0) + 1;
    // The engine's warning carries the chunk only in its text (download.ts #onCorrupt); if that
    // wording changes, a lying peer's first completion would be credited here: check `sources`.
    const chunk = /^Chunk (\d+) /.exec(message)?.[1];
    if (code === 'CHUNK_HASH_MISMATCH' && id && chunk !== undefined) {
      const list = completers.get(`${id}:${chunk}`);
      if (list) completers.set(`${id}:${chunk}`, list.filter((p) => p !== peer));
    }
  });
  await engine.start();
  send({ ev: 'ready', peerId, port, t: since() });
  if (msg.role !== 'leecher') {
    for (const spec of msg.files) {
      const stored = await shareBytes(store, { name: spec.name, bytes: fileBytes(spec) }, nodeSha256);
      await engine.addShared(stored);
      send({ ev: 'shared', id: stored.id, name: spec.name });
    }
  }
  setInterval(() => {
    const s = engine.stats();
    send({ ev: 'sample', t: since(), bytesUp: s.bytesUp, bytesDown: s.bytesDown, upRate: s.upRate, downRate: s.downRate, sessions: engine.sessionCount() });
  }, 1000);
}

function download(ids: string[]): void {
  for (const id of ids) {
    const started = since();
    void engine
      .download(id)
      .then((d) => {
        const finish = () => send({ ev: 'complete', id, t: since(), ms: since() - started });
        if (d.done) finish();
        else d.on('done', finish);
      })
      .catch((err: Error) => send({ ev: 'failed', id, message: err.message }));
  }
}

function final(): void {
  const s = engine.stats();
  send({
    ev: 'final',
    t: since(),
    bytesUp: s.bytesUp,
    bytesDown: s.bytesDown,
    uploadedByFile: s.uploadedByFile,
    sources: Object.fromEntries([...sources].map(([id, m]) => [id, Object.fromEntries(m)])),
    rawDownBySource: Object.fromEntries(rawDown),
    reputationEvents,
    warnings,
    // This peer's final opinion of every peer it dealt with: peer id → score in [-1, 1].
    reputation: Object.fromEntries(engine.reputation.all().map((r) => [r.peerId, Math.round(r.score * 1000) / 1000]))
  });
}

process.on('message', (m: any) => {
  if (m.cmd === 'start') start(m).catch((err) => send({ ev: 'error', message: (err as Error).stack ?? String(err) }));
  else if (m.cmd === 'ports') ports = { ...ports, ...m.ports };
  else if (m.cmd === 'forget') for (const id of m.peers as string[]) delete ports[id];
  else if (m.cmd === 'download') download(m.ids);
  else if (m.cmd === 'final') final();
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'booted' });
