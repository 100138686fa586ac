import { Bitfield } from '../core/bitfield.ts';
import { chunkLength } from '../core/chunks.ts';
import { verifyManifest, type Sha256 } from '../core/manifest.ts';
import { Choker, type ChokeChanges } from '../core/choker.ts';
import { parseReputation, ReputationBook, type PeerReputation, type ReputationEventType } from '../core/reputation.ts';
import { RateMeter } from './rate-meter.ts';
import { UploadLimiter } from './upload-limiter.ts';
import { Download, type DownloadStatus } from './download.ts';
import { Emitter } from './emitter.ts';
import type { ChunkStore, Connector, Directory, ReputationStore, StoredFile, Visibility, Wire } from './ports.ts';
import { PeerSession, type SessionHost } from './session.ts';
import { OPTIMISTIC_EVERY, RECHOKE_INTERVAL_MS, SUPER_SEED_HOLD_MS, UPLOAD_SLOTS } from './constants.ts';

export interface EngineOptions {
  peerId: string;
  store: ChunkStore;
  directory: Directory;
  connector: Connector;
  sha256: Sha256;
  /** Keeps the reputation book across runs; without one it lives in memory only. */
  reputationStore?: ReputationStore;
  now?: () => number;
  /** How often transfer totals are reported to the directory (default 10 s). */
  reportIntervalMs?: number;
  /** Upload rate limit in bytes per second for all connections together; 0 or absent: none. */
  uploadLimit?: number;
  /** Regular upload slots per file (default UPLOAD_SLOTS); one optimistic slot comes on top. */
  uploadSlots?: number;
  /** Random source for piece picking and choking (default Math.random). */
  random?: () => number;
  /** Hand out each chunk of a seeded file once while its recipient stays (see mayServe). */
  superSeed?: boolean;
}

/** Totals since this engine started, for the peer dashboard. */
export interface EngineStats {
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  /** Bytes uploaded per content id. */
  uploadedByFile: Record<string, number>;
  completed: number;
}

export interface EngineEvents extends Record<string, unknown[]> {
  /** The set of shared files changed (added, completed, removed). */
  files: [];
  download: [status: DownloadStatus];
  /** A peer misbehaved or a connection ended; `id` is the download concerned, if any. */
  warning: [peerId: string, code: string, message: string, id?: string];
  sessions: [];
  reputation: [rep: PeerReputation, event: ReputationEventType];
}

/**
 * The peer engine both peers run: it serves what the store holds to any session, runs
 * downloads, and keeps the directory told. Transports, storage and discovery come in as ports.
 */
export class PeerEngine extends Emitter<EngineEvents> implements SessionHost {
  readonly peerId: string;
  readonly #store: ChunkStore;
  readonly #directory: Directory;
  readonly #connector: Connector;
  readonly #sha256: Sha256;
  readonly #files = new Map<string, StoredFile>();
  readonly #downloads = new Map<string, Download>();
  readonly #sessions = new Map<string, PeerSession>();
  readonly #pendingSessions = new Map<string, Promise<PeerSession>>();
  #stopped = false;
  readonly #now: () => number;
  readonly #reputationStore: ReputationStore | undefined;
  readonly reputation: ReputationBook;
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #reportTimer: ReturnType<typeof setInterval> | null = null;
  readonly #reportIntervalMs: number;
  readonly uploadLimiter: UploadLimiter;
  readonly #up = new RateMeter();
  readonly #down = new RateMeter();
  readonly #uploadedByFile = new Map<string, number>();
  #completed = 0;
  #reported = { up: 0, down: 0, completed: 0 };
  /** Upload slots, one choker per file we serve. */
  readonly #chokers = new Map<string, Choker>();
  #rechokeTimer: ReturnType<typeof setInterval> | null = null;
  readonly #uploadSlots: number;
  readonly #random: () => number;
  #superSeed: boolean;
  /** Super-seeding: content id → chunk → the peers it was handed to, and when. */
  readonly #givenTo = new Map<string, Map<number, { at: number; to: Set<string> }>>();

  constructor(opts: EngineOptions) {
    super();
    this.#now = opts.now ?? Date.now;
    this.#reputationStore = opts.reputationStore;
    this.#reportIntervalMs = opts.reportIntervalMs ?? 10_000;
    this.reputation = new ReputationBook(this.#now);
    this.uploadLimiter = new UploadLimiter(opts.uploadLimit ?? 0);
    this.peerId = opts.peerId;
    this.#store = opts.store;
    this.#directory = opts.directory;
    this.#connector = opts.connector;
    this.#sha256 = opts.sha256;
    this.#uploadSlots = opts.uploadSlots ?? UPLOAD_SLOTS;
    this.#random = opts.random ?? Math.random;
    this.#superSeed = opts.superSeed ?? false;
    this.#connector.onIncoming((peerId, wire) => this.#adopt(wire, peerId, false));
  }

  /** Loads what the store holds, announces it, and resumes unfinished downloads. */
  async start(): Promise<void> {
    if (this.#reputationStore) {
      for (const raw of await this.#reputationStore.load().catch(() => [])) {
        const rep = parseReputation(raw);
        if (rep) this.reputation.load(rep);
      }
    }
    for (const file of await this.#store.listFiles()) this.#files.set(file.id, file);
    if (this.#stopped) return;
    this.#reportTimer = setInterval(() => void this.#report(), this.#reportIntervalMs);
    this.#rechokeTimer = setInterval(() => this.rechoke(), RECHOKE_INTERVAL_MS);
    // Offline now: the caller announces again when the directory comes back.
    await this.announceAll().catch(() => undefined);
    for (const file of this.#files.values()) {
      if (file.role === 'download' && !file.have.complete) this.#startDownload(file);
    }
    this.emit('files');
  }

  /** Announces every file held (after a tracker reconnect, too). */
  async announceAll(): Promise<void> {
    const files = [...this.#files.values()];
    if (files.length === 0) return;
    await this.#directory.announce(
      files.map((f) => ({ id: f.id, manifest: f.manifest, have: f.have.count, visibility: f.visibility }))
    );
  }

  files(): StoredFile[] {
    return [...this.#files.values()].sort((a, b) => b.addedAt - a.addedAt);
  }

  file(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  sessionCount(): number {
    return this.#sessions.size;
  }

  /** A file whose chunks are already in the store (hashed locally): share it. */
  async addShared(file: StoredFile): Promise<void> {
    this.#files.set(file.id, file);
    this.emit('files');
    await this.#directory.announce([{ id: file.id, manifest: file.manifest, have: file.have.count, visibility: file.visibility }]);
  }

  /**
   * Starts (or returns) the download of `id`: the manifest comes from the store (resume) or
   * from the directory, and is checked against the id before anything else happens.
   */
  async download(id: string, visibility: Visibility = 'public'): Promise<Download> {
    const running = this.#downloads.get(id);
    if (running) {
      if (running.state === 'paused') running.start();
      return running;
    }
    let file = this.#files.get(id);
    if (!file) {
      const raw = await this.#directory.manifest(id);
      const manifest = await verifyManifest(raw, id, this.#sha256);
      if (this.#stopped) throw new Error('stopped');
      file = this.#files.get(id);
      if (!file) {
        const record = { id, manifest, role: 'download' as const, visibility, addedAt: Date.now() };
        await this.#store.putFile(record);
        // The store may hold chunks already (a partial file on disk from an interrupted run).
        const stored = await this.#store.getFile(id);
        file = { ...record, have: stored?.have ?? new Bitfield(manifest.chunkHashes.length) };
        this.#files.set(id, file);
        this.emit('files');
      }
    }
    return this.#downloads.get(id) ?? this.#startDownload(file);
  }

  getDownload(id: string): Download | undefined {
    return this.#downloads.get(id);
  }

  /** Stops sharing a file (and any download of it) and frees its chunks. */
  async remove(id: string): Promise<void> {
    this.#downloads.get(id)?.destroy();
    this.#downloads.delete(id);
    this.#files.delete(id);
    await this.#store.deleteFile(id);
    this.emit('files');
    await this.#directory.unannounce([id]).catch(() => undefined);
  }

  /** Totals since start, for dashboards. */
  stats(): EngineStats {
    return {
      bytesUp: this.#up.total,
      bytesDown: this.#down.total,
      upRate: this.#up.rate(),
      downRate: this.#down.rate(),
      uploadedByFile: Object.fromEntries(this.#uploadedByFile),
      completed: this.#completed
    };
  }

  /** Open sessions: who we are connected to, and what flowed. */
  sessionList(): { peerId: string; label: string; bytesUp: number; bytesDown: number }[] {
    return [...this.#sessions.values()].map((s) => ({ peerId: s.remoteId, label: s.wire.label, bytesUp: s.bytesUp, bytesDown: s.bytesDown }));
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    if (this.#rechokeTimer) clearInterval(this.#rechokeTimer);
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    if (this.#reputationStore) void this.#saveReputation();
    for (const d of this.#downloads.values()) d.destroy();
    this.#downloads.clear();
    for (const s of this.#sessions.values()) s.close('peer stopping');
    this.#sessions.clear();
    this.#connector.close();
    this.removeAll();
  }

  // SessionHost
  bitfieldOf(id: string): Bitfield | undefined {
    return this.#files.get(id)?.have;
  }

  readChunk(id: string, chunk: number): Promise<Uint8Array | undefined> {
    return this.#store.getChunk(id, chunk);
  }

  chunkLength(id: string, chunk: number): number | undefined {
    const m = this.#files.get(id)?.manifest;
    if (!m || chunk >= m.chunkHashes.length) return undefined;
    return chunkLength(m.size, m.chunkSize, chunk);
  }

  throttle(bytes: number): Promise<void> {
    return this.uploadLimiter.take(bytes);
  }

  /**
   * One round of upload slots for every file (RECHOKE_INTERVAL_MS): regular slots by
   * reciprocation while downloading, by upload rate while seeding; the optimistic slot moves.
   */
  rechoke(): void {
    for (const [id, choker] of this.#chokers) {
      const file = this.#files.get(id);
      if (!file) {
        this.#chokers.delete(id);
        continue;
      }
      this.#applyChokes(id, choker.rechoke(file.have.complete));
    }
  }

  /** Peers unchoked for a file (for dashboards and tests). */
  unchokedPeers(id: string): string[] {
    return this.#chokers.get(id)?.unchoked() ?? [];
  }

  #chokerOf(id: string): Choker {
    let c = this.#chokers.get(id);
    if (!c) {
      c = new Choker({ slots: this.#uploadSlots, optimisticEvery: OPTIMISTIC_EVERY, random: this.#random });
      this.#chokers.set(id, c);
    }
    return c;
  }

  /** A remote that sent a `have` for a file we hold: it competes for an upload slot. */
  #offer(session: PeerSession, id: string, mine: Bitfield, theirs: Bitfield): void {
    const choker = this.#chokerOf(id);
    const interested = lacksAny(theirs, mine);
    const changes = choker.has(session.remoteId) ? choker.setInterested(session.remoteId, interested) : choker.add(session.remoteId, interested);
    this.#applyChokes(id, changes, session.remoteId);
  }

  /**
   * Brings the wire in line with the choker: a peer is choked on the wire exactly when it wants
   * something of ours and has no slot. A peer that wants nothing is left unchoked, so that it
   * keeps getting our have updates (a seeder then sees what downloaders hold).
   */
  #applyChokes(id: string, changes: ChokeChanges, also?: string): void {
    const file = this.#files.get(id);
    const choker = this.#chokers.get(id);
    if (!file || !choker) return;
    const peers = new Set([...changes.choke, ...changes.unchoke]);
    if (also !== undefined) peers.add(also);
    for (const peerId of peers) {
      const session = this.#sessions.get(peerId);
      if (!session) continue;
      const choke = choker.isInterested(peerId) && !choker.isUnchoked(peerId);
      if (choke) session.choke(id);
      else session.unchoke(id, file.have);
    }
  }

  /**
   * Super-seeding (an initial seeder's mode, BitTorrent's BEP 16 in spirit): of a file we hold
   * whole, each chunk is handed to one peer only, as long as that peer is connected; others are
   * told busy for it and get it from that peer. The seeder's upload then goes to distinct chunks.
   * A chunk whose recipients all left, or that was handed out more than SUPER_SEED_HOLD_MS ago,
   * is handed out again; a recipient may always ask again.
   */
  mayServe(id: string, chunk: number, peerId: string): boolean {
    if (!this.#superSeed || !this.#files.get(id)?.have.complete) return true;
    let given = this.#givenTo.get(id);
    if (!given) this.#givenTo.set(id, (given = new Map()));
    const now = this.#now();
    let entry = given.get(chunk);
    // Given long ago and still asked for: the recipients may not reach the asker; hand it out again.
    if (entry && now - entry.at > SUPER_SEED_HOLD_MS) entry = undefined;
    if (entry) for (const p of entry.to) if (!this.#sessions.has(p)) entry.to.delete(p);
    if (entry && entry.to.size > 0 && !entry.to.has(peerId)) return false;
    if (!entry || entry.to.size === 0) entry = { at: now, to: new Set() };
    entry.to.add(peerId);
    given.set(chunk, entry);
    return true;
  }

  /** Turns super-seeding (mayServe) on or off. */
  setSuperSeed(on: boolean): void {
    this.#superSeed = on;
  }

  get superSeed(): boolean {
    return this.#superSeed;
  }

  #startDownload(file: StoredFile): Download {
    const d = new Download(file.id, file.manifest, file.have, {
      store: this.#store,
      directory: this.#directory,
      sha256: this.#sha256,
      now: this.#now,
      random: this.#random,
      openSession: (peerId) => this.#openSession(peerId),
      chunkStored: (id) => this.#chunkStored(id),
      completed: (id) => void this.#onCompleted(id),
      reputation: {
        record: (peerId, type) => this.#record(peerId, type),
        score: (peerId) => this.reputation.score(peerId),
        isBad: (peerId) => this.reputation.isBad(peerId)
      }
    });
    this.#downloads.set(file.id, d);
    d.on('progress', (s) => this.emit('download', s));
    d.on('warning', (peerId, code, message) => this.emit('warning', peerId, code, message, file.id));
    d.start();
    // Sessions already open to peers may have the file: ask them too.
    for (const s of this.#sessions.values()) if (s.remoteReady) s.sendHave(file.id, file.have);
    // Join the swarm at once, whatever we hold: other downloaders connect to us and trade.
    if (!file.have.complete) {
      void this.#directory.announce([{ id: file.id, manifest: file.manifest, have: file.have.count, visibility: file.visibility }]).catch(() => undefined);
    }
    return d;
  }

  #chunkStored(id: string): void {
    const file = this.#files.get(id);
    if (!file) return;
    const choker = this.#chokers.get(id);
    for (const s of this.#sessions.values()) {
      if (s.haveSent.has(id)) s.sendHave(id, file.have);
      // A peer that had everything we held may lack the new chunk: it may want a slot now.
      const theirs = s.remoteHave.get(id);
      if (choker && theirs && choker.has(s.remoteId)) this.#applyChokes(id, choker.setInterested(s.remoteId, lacksAny(theirs, file.have)));
    }
    // Tell the tracker how far we are (the first chunk, then every 16), for its counts and lists.
    if (file.have.count === 1 || file.have.count % 16 === 0) void this.#directory.announce([{ id, have: file.have.count }]).catch(() => undefined);
  }

  #record(peerId: string, type: ReputationEventType): void {
    const rep = this.reputation.record(peerId, type);
    this.emit('reputation', rep, type);
    if (this.#reputationStore && !this.#saveTimer) {
      this.#saveTimer = setTimeout(() => void this.#saveReputation(), 500);
    }
  }

  async #saveReputation(): Promise<void> {
    this.#saveTimer = null;
    await this.#reputationStore?.save(this.reputation.all()).catch(() => undefined);
  }

  async #report(): Promise<void> {
    const now = { up: this.#up.total, down: this.#down.total, completed: this.#completed };
    const delta = { up: now.up - this.#reported.up, down: now.down - this.#reported.down, completed: now.completed - this.#reported.completed };
    if (!this.#directory.report || (delta.up === 0 && delta.down === 0 && delta.completed === 0)) return;
    try {
      await this.#directory.report(delta);
      this.#reported = now;
    } catch {
      // Offline: the totals are sent with the next report.
    }
  }

  async #onCompleted(id: string): Promise<void> {
    const file = this.#files.get(id);
    if (!file) return;
    this.#completed++;
    this.emit('files');
    await this.#directory
      .announce([{ id, manifest: file.manifest, have: file.have.count, visibility: file.visibility }])
      .catch(() => undefined);
  }

  #openSession(peerId: string): Promise<PeerSession> {
    const open = this.#sessions.get(peerId);
    if (open && !open.destroyed) return Promise.resolve(open);
    let pending = this.#pendingSessions.get(peerId);
    if (!pending) {
      pending = this.#connector
        .connect(peerId)
        .then((wire) => this.#adopt(wire, peerId, true))
        .then((session) => waitReady(session))
        .catch((err: unknown) => {
          // Both sides dialled at once and the other connection was kept: use that one.
          const kept = this.#sessions.get(peerId);
          if (kept && !kept.destroyed && kept.remoteReady) return kept;
          throw err;
        })
        .finally(() => this.#pendingSessions.delete(peerId));
      this.#pendingSessions.set(peerId, pending);
    }
    return pending;
  }

  #adopt(wire: Wire, peerId: string, outgoing: boolean): PeerSession {
    const session = new PeerSession(wire, this, peerId);
    const dialler = outgoing ? this.peerId : peerId;
    if (this.#stopped) {
      session.close('peer stopping');
      return session;
    }
    const onReady = () => {
      if (session.remoteId !== peerId) {
        session.close('peer id does not match the one it was reached by');
        return;
      }
      const previous = this.#sessions.get(peerId);
      if (previous && previous !== session && !previous.destroyed) {
        // Two connections to one peer. Dialled by both at once: both sides keep the one dialled
        // by the lower peer id (keeping "the newer" closed both when each side saw the other's
        // last). Dialled twice by the same side: the newer one (the old one is likely dead).
        const before = diallers.get(previous)!;
        if (before !== dialler && before < dialler) {
          session.close('duplicate connection: the one dialled by the lower peer id is kept');
          return;
        }
        previous.close('replaced by a newer connection');
      }
      diallers.set(session, dialler);
      this.#sessions.set(peerId, session);
      this.emit('sessions');
    };
    session.on('ready', onReady);
    session.on('have', (id, bits) => {
      const mine = this.#files.get(id);
      if (mine && bits.size !== mine.have.size) {
        // Wrong count for a file we know: ignored, not answered (docs/PROTOCOL.md §6, "have").
        this.emit('warning', session.remoteId, 'BAD_HAVE', `Peer announced ${bits.size} chunks for a file of ${mine.have.size}; ignored.`, id);
        return;
      }
      if (!session.haveSent.has(id)) {
        if (mine) session.sendHave(id, mine.have);
        else session.sendUnknown(id);
      }
      this.#downloads.get(id)?.onHave(session, bits);
      if (mine && this.#sessions.get(peerId) === session) this.#offer(session, id, mine.have, bits);
    });
    session.on('chunk', (id, chunk, bytes) => {
      this.#down.add(bytes.length);
      this.#chokers.get(id)?.received(peerId, bytes.length);
      void this.#downloads.get(id)?.onChunk(session, chunk, bytes);
    });
    session.on('uploaded', (id, _chunk, bytes) => {
      this.#up.add(bytes);
      this.#chokers.get(id)?.sent(peerId, bytes);
      this.#uploadedByFile.set(id, (this.#uploadedByFile.get(id) ?? 0) + bytes);
      this.#record(session.remoteId, 'goodUpload');
    });
    session.on('reject', (id, chunk, reason) => this.#downloads.get(id)?.onReject(session, chunk, reason));
    session.on('close', (reason) => {
      if (this.#sessions.get(peerId) === session) this.#sessions.delete(peerId);
      if (!this.#sessions.has(peerId)) {
        for (const id of session.remoteHave.keys()) {
          const choker = this.#chokers.get(id);
          if (choker?.has(peerId)) this.#applyChokes(id, choker.remove(peerId));
        }
      }
      // We closed it because the remote broke the protocol: that counts like corrupt data.
      if (/^WIRE_/.test(reason)) this.#record(peerId, 'corrupt');
      for (const d of this.#downloads.values()) d.onSessionClosed(session);
      this.emit('warning', peerId, 'SESSION_CLOSED', reason);
      this.emit('sessions');
    });
    // A hello that arrived before the session existed (the wire kept it) made the session ready
    // inside its constructor, before the handlers above were attached: such an outgoing session
    // was never registered, so nothing could find it (choking, have updates, dashboards).
    if (session.remoteReady && !session.destroyed) onReady();
    return session;
  }
}

/** Which peer dialled each session (for choosing between two connections to one peer). */
const diallers = new WeakMap<PeerSession, string>();

/** True if `theirs` lacks a chunk `mine` holds: the remote is interested in us. */
function lacksAny(theirs: Bitfield, mine: Bitfield): boolean {
  if (theirs.size !== mine.size) return false;
  for (let i = 0; i < mine.bytes.length; i++) if ((mine.bytes[i] & ~theirs.bytes[i]) !== 0) return true;
  return false;
}

function waitReady(session: PeerSession): Promise<PeerSession> {
  if (session.remoteReady) return Promise.resolve(session);
  if (session.destroyed) return Promise.reject(new Error('connection closed'));
  return new Promise((resolve, reject) => {
    const offReady = session.on('ready', () => {
      offClose();
      resolve(session);
    });
    const offClose = session.on('close', (reason) => {
      offReady();
      reject(new Error(`connection closed: ${reason}`));
    });
  });
}
