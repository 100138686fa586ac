import { Bitfield } from '../core/bitfield.ts';
import { chunkLength } from '../core/chunks.ts';
import { ShoalError } from '../core/errors.ts';
import type { Manifest, Sha256 } from '../core/manifest.ts';
import { PiecePicker } from '../core/piece-picker.ts';
import { verifyChunk } from '../core/verify.ts';
import { RejectReason, WHOLE_FILE, type RejectReasonCode } from '../core/wire.ts';
import {
  INITIAL_PIPELINE,
  MAX_CORRUPT_CHUNKS,
  MAX_PEERS_PER_DOWNLOAD,
  MAX_PIPELINE,
  PEER_REFRESH_MS,
  REQUEST_TIMEOUT_MS,
  MAX_REQUEST_AGE_MS,
  RANDOM_FIRST_CHUNKS,
  BUSY_BACKOFF_MS,
  ENDGAME_CHUNKS
} from './constants.ts';
import { Emitter } from './emitter.ts';
import type { ChunkStore, Directory, RemotePeer } from './ports.ts';
import { RateMeter } from './rate-meter.ts';
import type { PeerSession } from './session.ts';
import type { ReputationEventType } from '../core/reputation.ts';

export type DownloadState = 'starting' | 'downloading' | 'waiting' | 'paused' | 'done' | 'failed';

export interface DownloadPeer {
  peerId: string;
  kind: string;
  bytes: number;
  inFlight: number;
  corrupt: number;
  rate: number;
  /** Reputation score in [-1, 1]. */
  score: number;
}

export interface DownloadStatus {
  id: string;
  name: string;
  size: number;
  state: DownloadState;
  /** Why the download is waiting or failed, for people. */
  reason: string;
  chunks: number;
  have: number;
  bytesDone: number;
  rate: number;
  etaSeconds: number | null;
  peers: DownloadPeer[];
}

export interface DownloadEvents extends Record<string, unknown[]> {
  progress: [status: DownloadStatus];
  done: [];
  failed: [reason: string];
  /** A peer misbehaved (corrupt chunk, protocol error); `code` is stable. */
  warning: [peerId: string, code: string, message: string];
}

/** What a download needs from the engine that owns it. */
export interface DownloadContext {
  store: ChunkStore;
  directory: Directory;
  sha256: Sha256;
  /** Opens (or reuses) a session to a peer and tells it we want `id`. */
  openSession(peerId: string): Promise<PeerSession>;
  /** A verified chunk was stored: the engine tells interested peers. */
  chunkStored(id: string, chunk: number): void;
  /** The download finished: the engine announces us as a seeder. */
  completed(id: string): void;
  /** This peer's reputation book: events go in, scores order and drop peers. */
  reputation: { record(peerId: string, type: ReputationEventType): void; score(peerId: string): number; isBad(peerId: string): boolean };
  now?: () => number;
  /** Random source for the picker's order (default Math.random). */
  random?: () => number;
}

interface PeerState {
  session: PeerSession;
  kind: string;
  pipeline: number;
  corrupt: number;
  meter: RateMeter;
  /** chunk → time requested */
  inFlight: Map<number, number>;
  /** When bytes last arrived from the peer (or our first request to an idle peer went out). */
  lastProgress: number;
  /** The session's bytesDown at lastProgress. */
  seenBytes: number;
  /** The peer chokes us (PROTOCOL.md §11): nothing is asked of it until its next `have`. */
  choked: boolean;
  /** chunk → when the peer answered busy for it: not asked of it again for BUSY_BACKOFF_MS. */
  busy: Map<number, number>;
}

/**
 * One file being fetched from a swarm: rarest-first picking, per-peer pipelining, verification
 * before storage, timeouts, corrupt-peer dropping and an endgame. Owned by PeerEngine.
 */
export class Download extends Emitter<DownloadEvents> {
  readonly id: string;
  readonly manifest: Manifest;
  readonly have: Bitfield;
  state: DownloadState = 'starting';
  reason = '';
  readonly #ctx: DownloadContext;
  readonly #picker: PiecePicker;
  readonly #peers = new Map<string, PeerState>();
  readonly #banned = new Set<string>();
  /** Corrupt chunks per peer for this download, kept across reconnects. */
  readonly #strikes = new Map<string, number>();
  readonly #connecting = new Set<string>();
  readonly #meter = new RateMeter();
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastRefresh = 0;
  #storing = 0;
  #directoryPeers: RemotePeer[] = [];
  #bytesDone: number;

  constructor(id: string, manifest: Manifest, have: Bitfield, ctx: DownloadContext) {
    super();
    this.id = id;
    this.manifest = manifest;
    this.have = have;
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    this.#picker = new PiecePicker(have, { random: ctx.random ?? Math.random, randomFirst: RANDOM_FIRST_CHUNKS, endgameChunks: ENDGAME_CHUNKS });
    this.#bytesDone = have.indices().reduce((sum, i) => sum + chunkLength(manifest.size, manifest.chunkSize, i), 0);
  }

  get done(): boolean {
    return this.have.complete;
  }

  start(): void {
    if (this.state === 'done' || this.#timer) return;
    if (this.have.complete) return this.#finish();
    this.#setState('starting', 'Looking for peers…');
    this.#timer = setInterval(() => this.#tick(), 1000);
    void this.#refreshPeers();
  }

  pause(): void {
    if (this.state === 'done') return;
    this.#stopTimer();
    for (const peerId of [...this.#peers.keys()]) this.#dropPeer(peerId, false);
    this.#setState('paused', 'Paused');
  }

  /** Stops for good (the file was deleted or the engine stopped). */
  destroy(): void {
    this.#stopTimer();
    for (const peerId of [...this.#peers.keys()]) this.#dropPeer(peerId, false);
    this.removeAll();
  }

  /** A session said which chunks it has of our file. */
  onHave(session: PeerSession, bits: Bitfield): void {
    if (this.state === 'paused' || this.state === 'done' || this.#isBanned(session.remoteId)) return;
    if (bits.size !== this.have.size) {
      this.emit('warning', session.remoteId, 'BAD_HAVE', 'Peer announced a bitfield of the wrong size.');
      return;
    }
    let peer = this.#peers.get(session.remoteId);
    if (!peer) {
      const known = this.#directoryPeers.find((p) => p.peerId === session.remoteId);
      const corrupt = this.#strikes.get(session.remoteId) ?? 0;
      peer = {
        session,
        kind: known?.kind ?? 'unknown',
        pipeline: INITIAL_PIPELINE,
        corrupt,
        meter: new RateMeter(),
        inFlight: new Map(),
        lastProgress: this.#now(),
        seenBytes: session.bytesDown,
        choked: false,
        busy: new Map()
      };
      this.#peers.set(session.remoteId, peer);
    }
    // A `have` after a choke is the unchoke; it replaces what we knew, busy answers included.
    peer.choked = false;
    peer.busy.clear();
    this.#picker.setPeer(session.remoteId, bits);
    this.#fill();
  }

  /** A session finished assembling a chunk we asked for. */
  async onChunk(session: PeerSession, chunk: number, bytes: Uint8Array): Promise<void> {
    const peer = this.#peers.get(session.remoteId);
    if (!peer || !peer.inFlight.has(chunk)) return;
    const started = peer.inFlight.get(chunk)!;
    peer.inFlight.delete(chunk);
    if (this.have.get(chunk)) {
      this.#picker.release(session.remoteId, chunk);
      return this.#fill();
    }
    this.#storing++;
    try {
      await verifyChunk(this.manifest, chunk, bytes, this.#ctx.sha256);
    } catch (err) {
      this.#storing--;
      this.#picker.release(session.remoteId, chunk);
      this.#onCorrupt(peer, chunk, err as Error);
      return this.#fill();
    }
    try {
      if (!this.have.get(chunk)) await this.#ctx.store.putChunk(this.id, chunk, bytes);
    } catch (err) {
      this.#storing--;
      this.#fail(storageMessage(err));
      return;
    }
    this.#storing--;
    // Recorded even when the download failed or paused while this write was in flight: the chunk is
    // in the store, and a resume must not fetch it again.
    const fresh = !this.have.get(chunk);
    const others = this.#picker.complete(chunk, session.remoteId);
    for (const other of others) {
      this.#peers.get(other)?.inFlight.delete(chunk);
      this.#peers.get(other)?.session.cancel(this.id, chunk);
    }
    if (fresh) {
      this.#meter.add(bytes.length);
      this.#bytesDone += bytes.length;
      this.#ctx.chunkStored(this.id, chunk);
    }
    if (this.state === 'failed' || this.state === 'paused') return this.#emitProgress();
    peer.meter.add(bytes.length);
    this.#ctx.reputation.record(session.remoteId, 'goodDownload');
    // Slow start: a peer that delivers gets a deeper pipeline; one that is slow keeps it short.
    if (this.#now() - started < REQUEST_TIMEOUT_MS / 4) peer.pipeline = Math.min(MAX_PIPELINE, peer.pipeline + 1);
    if (this.have.complete) return this.#finish();
    this.#fill();
    this.#emitProgress();
  }

  onReject(session: PeerSession, chunk: number, reason: RejectReasonCode): void {
    const peer = this.#peers.get(session.remoteId);
    if (!peer) return;
    if (chunk === WHOLE_FILE && reason === RejectReason.busy) return this.#onChoked(peer);
    if (chunk === WHOLE_FILE) {
      this.#dropPeer(session.remoteId, false);
      return this.#fill();
    }
    peer.inFlight.delete(chunk);
    this.#picker.release(session.remoteId, chunk);
    // The peer said it had this chunk: refusing it counts against the peer. Busy (a full queue,
    // or a request that crossed our choke) is not misbehaviour, nor is a failing disk.
    if (reason !== RejectReason.storageError && reason !== RejectReason.busy) this.#ctx.reputation.record(session.remoteId, 'refused');
    if (reason === RejectReason.busy) {
      peer.pipeline = Math.max(1, Math.floor(peer.pipeline / 2));
      peer.busy.set(chunk, this.#now());
    }
    this.#fill();
  }

  /** The peer choked us: it dropped our requests, so they are asked elsewhere; its bitfield still counts for rarity. */
  #onChoked(peer: PeerState): void {
    peer.choked = true;
    for (const chunk of peer.inFlight.keys()) {
      peer.session.forget(this.id, chunk);
      this.#picker.release(peer.session.remoteId, chunk);
    }
    peer.inFlight.clear();
    this.#fill();
  }

  onSessionClosed(session: PeerSession): void {
    const peer = this.#peers.get(session.remoteId);
    if (peer?.session !== session) return;
    this.#dropPeer(session.remoteId, false);
    this.#fill();
  }

  status(): DownloadStatus {
    const rate = this.#meter.rate();
    const left = this.manifest.size - this.#bytesDone;
    return {
      id: this.id,
      name: this.manifest.name,
      size: this.manifest.size,
      state: this.state,
      reason: this.reason,
      chunks: this.have.size,
      have: this.have.count,
      bytesDone: this.#bytesDone,
      rate,
      etaSeconds: rate > 0 ? Math.ceil(left / rate) : null,
      peers: [...this.#peers.entries()].map(([peerId, p]) => ({
        peerId,
        kind: p.kind,
        bytes: p.meter.total,
        inFlight: p.inFlight.size,
        corrupt: p.corrupt,
        rate: p.meter.rate(),
        score: this.#ctx.reputation.score(peerId)
      }))
    };
  }

  /** Per chunk: 0 missing, 1 requested, 2 stored. For the chunk map. */
  chunkStates(): Uint8Array {
    const out = new Uint8Array(this.have.size);
    for (const p of this.#peers.values()) for (const c of p.inFlight.keys()) out[c] = 1;
    for (let i = 0; i < out.length; i++) if (this.have.get(i)) out[i] = 2;
    return out;
  }

  #fill(): void {
    if (this.state === 'done' || this.state === 'paused' || this.state === 'failed') return;
    const ordered = [...this.#peers].sort(([a], [b]) => this.#ctx.reputation.score(b) - this.#ctx.reputation.score(a));
    for (const [peerId, peer] of ordered) {
      if (peer.choked) continue;
      const want = peer.pipeline - peer.inFlight.size;
      if (want <= 0) continue;
      const now = this.#now();
      const skip = peer.busy.size === 0 ? undefined : (c: number) => now - (peer.busy.get(c) ?? -Infinity) < BUSY_BACKOFF_MS;
      for (const chunk of this.#picker.pick(peerId, want, skip)) {
        if (peer.inFlight.size === 0) {
          peer.lastProgress = this.#now();
          peer.seenBytes = peer.session.bytesDown;
        }
        peer.inFlight.set(chunk, this.#now());
        peer.session.request(this.id, chunk);
      }
    }
    let inFlight = 0;
    for (const p of this.#peers.values()) inFlight += p.inFlight.size;
    if (inFlight > 0 || this.#storing > 0) this.#setState('downloading', '');
    else if (this.#peers.size === 0) this.#setState('waiting', this.#connecting.size > 0 ? 'Connecting to peers…' : 'No peer with this file is online; waiting for one.');
    else if ([...this.#peers.values()].every((p) => p.choked)) this.#setState('waiting', 'Every connected peer is serving others (choked); waiting for an upload slot.');
    else this.#setState('waiting', 'Connected peers have none of the missing chunks; waiting.');
  }

  #onCorrupt(peer: PeerState, chunk: number, err: Error): void {
    peer.corrupt++;
    this.#strikes.set(peer.session.remoteId, peer.corrupt);
    this.#ctx.reputation.record(peer.session.remoteId, 'corrupt');
    const code = err instanceof ShoalError ? err.code : 'BAD_CHUNK';
    this.emit('warning', peer.session.remoteId, code, `Chunk ${chunk} from this peer failed verification (${peer.corrupt}): ${err.message}`);
    if (peer.corrupt >= MAX_CORRUPT_CHUNKS || this.#ctx.reputation.isBad(peer.session.remoteId)) {
      this.#banned.add(peer.session.remoteId);
      this.emit('warning', peer.session.remoteId, 'PEER_DROPPED', 'Peer sent corrupt chunks and was dropped; it will not be asked again.');
      this.#dropPeer(peer.session.remoteId, true);
    }
  }

  /** Dropped for this download, or below the reputation threshold. */
  #isBanned(peerId: string): boolean {
    return this.#banned.has(peerId) || this.#ctx.reputation.isBad(peerId);
  }

  #dropPeer(peerId: string, closeSession: boolean): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    for (const chunk of peer.inFlight.keys()) peer.session.cancel(this.id, chunk);
    this.#peers.delete(peerId);
    this.#picker.removePeer(peerId);
    if (closeSession) peer.session.close('dropped: corrupt data');
  }

  /**
   * Timeouts. A peer serves requests in order, so the requests at the back of a busy (e.g.
   * upload-limited) peer's queue wait without anything being wrong: a request times out only
   * when the peer has sent nothing at all for REQUEST_TIMEOUT_MS (it stalled: every request
   * older than that goes), or when it is older than MAX_REQUEST_AGE_MS however busy the peer.
   * One reputation event per peer and tick, not one per chunk.
   */
  #tick(): void {
    const now = this.#now();
    for (const [peerId, peer] of this.#peers) {
      if (peer.session.bytesDown !== peer.seenBytes) {
        peer.seenBytes = peer.session.bytesDown;
        peer.lastProgress = now;
      }
      if (peer.inFlight.size === 0) continue;
      const stalled = now - peer.lastProgress > REQUEST_TIMEOUT_MS;
      const expired = [...peer.inFlight].filter(([, t]) => now - t > (stalled ? REQUEST_TIMEOUT_MS : MAX_REQUEST_AGE_MS)).map(([c]) => c);
      if (expired.length === 0) continue;
      for (const chunk of expired) {
        peer.inFlight.delete(chunk);
        peer.session.cancel(this.id, chunk);
        this.#picker.release(peerId, chunk);
      }
      peer.pipeline = Math.max(1, Math.floor(peer.pipeline / 2));
      this.#ctx.reputation.record(peerId, 'timeout');
      const what = stalled ? `sent nothing for ${Math.round((now - peer.lastProgress) / 1000)} s` : 'is too slow for them';
      this.emit('warning', peerId, 'TIMEOUT', `${expired.length === 1 ? `Chunk ${expired[0]}` : `${expired.length} chunks`} timed out: the peer ${what}.`);
    }
    if (now - this.#lastRefresh >= PEER_REFRESH_MS) void this.#refreshPeers();
    this.#fill();
    this.#emitProgress();
  }

  async #refreshPeers(): Promise<void> {
    this.#lastRefresh = this.#now();
    if (this.#peers.size >= MAX_PEERS_PER_DOWNLOAD) return;
    let found: RemotePeer[];
    try {
      found = await this.#ctx.directory.whoHas(this.id);
    } catch (err) {
      if (this.#peers.size === 0) this.#setState('waiting', `Cannot ask the tracker for peers: ${(err as Error).message}`);
      return;
    }
    if (!this.#timer) return;
    this.#directoryPeers = found;
    const candidates = found
      // Downloaders with nothing yet are connected too: they trade chunks as soon as they have any.
      .filter((p) => !this.#peers.has(p.peerId) && !this.#isBanned(p.peerId) && !this.#connecting.has(p.peerId))
      .sort((a, b) => this.#ctx.reputation.score(b.peerId) - this.#ctx.reputation.score(a.peerId) || Number(b.seeder) - Number(a.seeder) || b.have - a.have)
      .slice(0, MAX_PEERS_PER_DOWNLOAD - this.#peers.size);
    for (const p of candidates) void this.#connect(p.peerId);
    this.#fill();
  }

  async #connect(peerId: string): Promise<void> {
    this.#connecting.add(peerId);
    try {
      const session = await this.#ctx.openSession(peerId);
      if (!this.#timer) return;
      session.sendHave(this.id, this.have);
    } catch (err) {
      this.#ctx.reputation.record(peerId, 'timeout');
      this.emit('warning', peerId, 'CONNECT_FAILED', `Could not connect: ${(err as Error).message}`);
    } finally {
      this.#connecting.delete(peerId);
    }
  }

  #finish(): void {
    this.#stopTimer();
    // The final status still lists every peer with the bytes it sent, the last chunk included.
    this.#setState('done', '');
    for (const peerId of [...this.#peers.keys()]) this.#dropPeer(peerId, false);
    this.#ctx.completed(this.id);
    this.emit('done');
  }

  #fail(reason: string): void {
    this.#stopTimer();
    for (const peerId of [...this.#peers.keys()]) this.#dropPeer(peerId, false);
    this.#setState('failed', reason);
    this.#emitProgress();
    this.emit('failed', reason);
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #setState(state: DownloadState, reason: string): void {
    if (this.state === state && this.reason === reason) return;
    this.state = state;
    this.reason = reason;
    this.#emitProgress();
  }

  #emitProgress(): void {
    this.emit('progress', this.status());
  }
}

/** Turns a storage failure into a message for people; quota errors say so plainly. */
export function storageMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.name === 'QuotaExceededError' || e?.code === 'ENOSPC' || e?.code === 'QUOTA') {
    return 'Storage is full: the browser or disk refused to store more. Free space (or delete files here) and resume; chunks already stored are kept.';
  }
  return `Storage failed: ${e?.message ?? String(err)}. Chunks already stored are kept.`;
}
