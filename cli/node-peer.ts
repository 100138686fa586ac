import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createLogger, type Logger } from '../src/lib/log.ts';
import { PeerEngine } from '../src/lib/peer/engine.ts';
import type { StoredFile, Visibility } from '../src/lib/peer/ports.ts';
import { TrackerClient } from '../src/lib/peer/tracker-client.ts';
import { WebRtcConnector } from '../src/lib/peer/webrtc-connector.ts';
import { CompositeConnector } from './composite-connector.ts';
import { CompositeDirectory, type NamedDirectory } from './composite-directory.ts';
import { Counters } from './counters.ts';
import { DataDir, type FileRecord } from './data-dir.ts';
import { CliError, fsError } from './errors.ts';
import { FsChunkStore, type LoadResult } from './fs-store.ts';
import { hashFile } from './hash-file.ts';
import { derivePeerId, ephemeralToken, nodeSha256 } from './identity.ts';
import { LanDiscovery } from './lan-discovery.ts';
import { wireUploadLimiter } from './managed-wire.ts';
import { createSimplePeer, nodeWrtc } from './node-webrtc.ts';
import { TcpTransport } from './tcp-transport.ts';

/** Engine warnings that mean a peer misbehaved (logged at warn); the others are routine. */
const MISBEHAVIOUR = new Set(['BAD_HAVE', 'BAD_CHUNK', 'CHUNK_HASH_MISMATCH', 'PEER_DROPPED']);

export interface LanOptions {
  address: string;
  port: number;
  interface?: string;
}

export interface NodePeerOptions {
  dataDir: string;
  downloadDir: string;
  /** Overwrite existing files where downloads land. */
  force?: boolean;
  /** Tracker URL, or null for none. */
  tracker: string | null;
  /** Several processes of one network, tried in turn (the first is `tracker`); default just `tracker`. */
  trackers?: string[];
  /** LAN discovery and TCP transfers, or null for none. */
  lan: LanOptions | null;
  /** TCP port for LAN transfers; 0 for any free port. */
  tcpPort: number;
  /** If the TCP port is taken, use any free port instead (when the port is only the default). */
  tcpPortFallback?: boolean;
  /** Address the TCP port listens on (default all). */
  tcpHost?: string;
  maxPeers: number;
  /** Upload limit in bytes per second, or null. */
  uploadLimit: number | null;
  /** Super-seeding (PeerEngine's superSeed): each chunk of a seeded file handed out once while its recipient stays. */
  superSeed?: boolean;
  /** Which records of the data directory to load and serve (default all). */
  include?: (record: FileRecord) => boolean;
  /** Use the data directory's identity (default), or a fresh one for this run only. */
  identity?: 'persistent' | 'ephemeral';
  /** How long start() waits for the tracker before going on without it. */
  trackerWaitMs?: number;
  log?: Logger;
  /** Resuming: bytes of a partial file checked so far. */
  onCheck?: (id: string, bytes: number, total: number) => void;
}

export interface ShareResult {
  id: string;
  path: string;
  file: StoredFile;
  /** Hashing was skipped: the file was shared before and has not changed. */
  reused: boolean;
}

/**
 * The headless Node peer: the shared PeerEngine with a filesystem store, the tracker (Socket.IO
 * + WebRTC through node-datachannel) and LAN discovery (UDP + TCP) as one directory and one
 * connector. `start()` assembles it; `stop()` takes it apart again.
 */
export class NodePeer {
  readonly peerId: string;
  readonly engine: PeerEngine;
  readonly store: FsChunkStore;
  readonly data: DataDir;
  readonly counters: Counters;
  readonly tracker: TrackerClient | null;
  readonly lan: LanDiscovery | null;
  readonly tcp: TcpTransport | null;
  readonly connector: CompositeConnector;
  readonly directory: CompositeDirectory;
  readonly log: Logger;
  /** What loading the data directory found. */
  loaded: LoadResult = { ready: [], changed: [], missing: [] };
  /** The identity is this run's only (another process holds the data directory's). */
  readonly ephemeral: boolean;
  readonly #release: (() => Promise<void>) | null;
  readonly #usesWebRtc: boolean;
  #stopped = false;

  private constructor(parts: {
    peerId: string;
    engine: PeerEngine;
    store: FsChunkStore;
    data: DataDir;
    counters: Counters;
    tracker: TrackerClient | null;
    lan: LanDiscovery | null;
    tcp: TcpTransport | null;
    connector: CompositeConnector;
    directory: CompositeDirectory;
    log: Logger;
    ephemeral: boolean;
    release: (() => Promise<void>) | null;
  }) {
    this.peerId = parts.peerId;
    this.engine = parts.engine;
    this.store = parts.store;
    this.data = parts.data;
    this.counters = parts.counters;
    this.tracker = parts.tracker;
    this.lan = parts.lan;
    this.tcp = parts.tcp;
    this.connector = parts.connector;
    this.directory = parts.directory;
    this.log = parts.log;
    this.ephemeral = parts.ephemeral;
    this.#release = parts.release;
    this.#usesWebRtc = parts.tracker !== null;
  }

  static async start(opts: NodePeerOptions): Promise<NodePeer> {
    const log = opts.log ?? createLogger('shoal');
    const data = await DataDir.open(resolve(opts.dataDir), nodeSha256);
    let release: (() => Promise<void>) | null = null;
    let token: string;
    if (opts.identity === 'ephemeral') token = ephemeralToken();
    else {
      release = await data.lock('peer');
      if (release) token = await data.token();
      else {
        // Two processes with one id would push each other off the tracker: this one gets its own.
        log.info('another shoal process uses this data directory; this one runs with a temporary peer id');
        token = ephemeralToken();
      }
    }
    const peerId = derivePeerId(token);
    const counters = new Counters();
    const cleanup: (() => void)[] = [];
    try {
      // The engine is made last, but the store, discovery and transport ask it what it holds.
      let engine: PeerEngine | null = null;
      const store = new FsChunkStore({
        data,
        downloadDir: resolve(opts.downloadDir),
        force: opts.force,
        include: opts.include,
        onStale: (id, path) => {
          log.warn('a shared file changed on disk and is no longer served; share it again to serve the new content', { id, path });
          void engine?.remove(id).catch(() => undefined);
        },
        onCheck: opts.onCheck
      });
      const loaded = await store.load();

      let tcp: TcpTransport | null = null;
      let lan: LanDiscovery | null = null;
      if (opts.lan) {
        tcp = new TcpTransport({
          host: opts.tcpHost,
          port: opts.tcpPort,
          peerId,
          manifestOf: (id) => engine?.file(id)?.manifest,
          counters
        });
        cleanup.push(() => tcp?.close());
        try {
          await tcp.listen();
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' && opts.tcpPortFallback) {
            tcp.close();
            tcp = new TcpTransport({ host: opts.tcpHost, port: 0, peerId, manifestOf: (id) => engine?.file(id)?.manifest, counters });
            await tcp.listen();
            log.info('TCP port taken; listening on another', { wanted: opts.tcpPort, port: tcp.port });
          } else {
            throw new CliError('BAD_ARGUMENT', `Cannot listen on TCP port ${opts.tcpPort}: ${code ?? (err as Error).message}`);
          }
        }
        const transport = tcp;
        lan = new LanDiscovery({
          peerId,
          address: opts.lan.address,
          port: opts.lan.port,
          interface: opts.lan.interface,
          tcpPort: () => transport.port,
          holdings: () =>
            (engine?.files() ?? []).map((f) => ({ id: f.id, have: f.have.count, chunks: f.have.size, visibility: f.visibility })),
          fetchManifest: (host, port, id) => transport.fetchManifest(host, port, id),
          sha256: nodeSha256,
          counters,
          log: log.child('lan')
        });
        cleanup.push(() => lan?.stop());
      }

      let tracker: TrackerClient | null = null;
      let webrtc: WebRtcConnector | null = null;
      if (opts.tracker) {
        tracker = new TrackerClient({ url: opts.trackers?.length ? opts.trackers : opts.tracker, token, kind: 'node' });
        const client = tracker;
        cleanup.push(() => client.close());
        webrtc = new WebRtcConnector({
          createPeer: createSimplePeer,
          signaller: { signal: (to, d) => client.signal(to, d), onSignal: (fn) => client.on('signal', fn) },
          iceServers: () => client.info?.iceServers ?? [],
          wrtc: nodeWrtc().wrtc
        });
      }

      const parts: NamedDirectory[] = [];
      if (tracker) parts.push({ name: 'tracker', directory: tracker });
      if (lan) parts.push({ name: 'lan', directory: lan });
      const directory = new CompositeDirectory(parts, log.child('directory'));
      const lanRef = lan;
      const connector = new CompositeConnector({
        tcp,
        lanAddressOf: (id) => lanRef?.addressOf(id),
        webrtc,
        maxPeers: opts.maxPeers,
        limiter: opts.uploadLimit ? wireUploadLimiter(opts.uploadLimit) : null,
        counters
      });
      engine = new PeerEngine({ peerId, store, directory, connector, sha256: nodeSha256, superSeed: opts.superSeed ?? false });
      const eng = engine;
      eng.on('warning', (peer, code, message, id) => {
        if (code === 'SESSION_CLOSED' && /^WIRE_/.test(message)) counters.add('malformedWireMessages', `${peer} ${message}`);
        // Misbehaviour is logged where a user sees it (docs/PROTOCOL.md §9); routine ones (a timeout, a closed session) are debug.
        if (MISBEHAVIOUR.has(code)) log.warn(`peer warning: ${code}`, { peer, code, reason: message, id });
        else log.debug('peer warning', { peer, code, reason: message, id });
      });
      if (tracker) {
        tracker.on('connected', () => void eng.announceAll().catch(() => undefined));
        tracker.on('disconnected', (reason) => log.debug('tracker disconnected', { reason }));
      }
      await lan?.start();
      if (tracker) {
        const ready = await Promise.race([
          tracker.ready().then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), opts.trackerWaitMs ?? 10_000).unref())
        ]);
        if (!ready) log.warn('the tracker does not answer yet; going on and retrying in the background', { url: opts.tracker });
      }
      await eng.start();
      const peer = new NodePeer({
        peerId,
        engine: eng,
        store,
        data,
        counters,
        tracker,
        lan,
        tcp,
        connector,
        directory,
        log,
        ephemeral: release === null,
        release
      });
      peer.loaded = loaded;
      return peer;
    } catch (err) {
      for (const fn of cleanup.reverse()) fn();
      await release?.();
      throw err;
    }
  }

  /**
   * Shares one file from disk, read in place: hashed (unless it was shared before and its size
   * and mtime have not changed), recorded in the data directory and announced.
   */
  async share(path: string, visibility: Visibility, onProgress?: (bytes: number, total: number) => void): Promise<ShareResult> {
    const abs = resolve(path);
    let st;
    try {
      st = await stat(abs);
    } catch (err) {
      throw fsError(err, 'reading', abs);
    }
    if (!st.isFile()) throw new CliError('BAD_PATH', `Not a regular file: ${abs}`, { path: abs });
    for (const f of this.engine.files()) {
      const r = this.store.record(f.id);
      if (r && r.path === abs && r.complete && r.size === st.size && r.mtimeMs === st.mtimeMs && !this.store.isStale(f.id)) {
        return { id: f.id, path: abs, file: f, reused: true };
      }
    }
    const hashed = await hashFile(abs, { onProgress: (b) => onProgress?.(b, st.size) });
    if (this.#stopped) throw new CliError('IO', 'Stopped.');
    const existing = this.engine.file(hashed.id);
    if (existing?.have.complete && !this.store.isStale(hashed.id)) return { id: hashed.id, path: abs, file: existing, reused: false };
    const file = await this.store.addSeed(abs, hashed, visibility);
    await this.engine.addShared(file);
    return { id: hashed.id, path: abs, file, reused: false };
  }

  /** Stops sharing `id` (files on disk stay). */
  async unshare(id: string): Promise<void> {
    await this.engine.remove(id);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.engine.stop();
    this.lan?.stop();
    this.tracker?.close();
    await this.store.close();
    await this.#release?.();
  }

  /** Whether this peer loaded node-datachannel (call shutdownWebRtc() before the process exits). */
  get usesWebRtc(): boolean {
    return this.#usesWebRtc;
  }
}
