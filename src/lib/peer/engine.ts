import { Bitfield } from '../core/bitfield.ts';
import { chunkLength } from '../core/chunks.ts';
import { verifyManifest, type Sha256 } from '../core/manifest.ts';
import { Download, type DownloadStatus } from './download.ts';
import { Emitter } from './emitter.ts';
import type { ChunkStore, Connector, Directory, StoredFile, Visibility, Wire } from './ports.ts';
import { PeerSession, type SessionHost } from './session.ts';

export interface EngineOptions {
  peerId: string;
  store: ChunkStore;
  directory: Directory;
  connector: Connector;
  sha256: Sha256;
}

export interface EngineEvents extends Record<string, unknown[]> {
  /** The set of shared files changed (added, completed, removed). */
  files: [];
  download: [status: DownloadStatus];
  /** A peer misbehaved or a connection ended; `id` is the download concerned, if any. */
  warning: [peerId: string, code: string, message: string, id?: string];
  sessions: [];
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

  constructor(opts: EngineOptions) {
    super();
    this.peerId = opts.peerId;
    this.#store = opts.store;
    this.#directory = opts.directory;
    this.#connector = opts.connector;
    this.#sha256 = opts.sha256;
    this.#connector.onIncoming((peerId, wire) => this.#adopt(wire, peerId));
  }

  /** Loads what the store holds, announces it, and resumes unfinished downloads. */
  async start(): Promise<void> {
    for (const file of await this.#store.listFiles()) this.#files.set(file.id, file);
    if (this.#stopped) return;
    await this.announceAll();
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
        file = { ...record, have: new Bitfield(manifest.chunkHashes.length) };
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

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
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

  #startDownload(file: StoredFile): Download {
    const d = new Download(file.id, file.manifest, file.have, {
      store: this.#store,
      directory: this.#directory,
      sha256: this.#sha256,
      openSession: (peerId) => this.#openSession(peerId),
      chunkStored: (id) => this.#chunkStored(id),
      completed: (id) => void this.#completed(id)
    });
    this.#downloads.set(file.id, d);
    d.on('progress', (s) => this.emit('download', s));
    d.on('warning', (peerId, code, message) => this.emit('warning', peerId, code, message, file.id));
    d.start();
    // Sessions already open to peers may have the file: ask them too.
    for (const s of this.#sessions.values()) if (s.remoteReady) s.sendHave(file.id, file.have);
    return d;
  }

  #chunkStored(id: string): void {
    const file = this.#files.get(id);
    if (!file) return;
    for (const s of this.#sessions.values()) if (s.haveSent.has(id)) s.sendHave(id, file.have);
    // Tell the tracker how far we are every 16 chunks, so others can use us as a source.
    if (file.have.count % 16 === 0) void this.#directory.announce([{ id, have: file.have.count }]).catch(() => undefined);
  }

  async #completed(id: string): Promise<void> {
    const file = this.#files.get(id);
    if (!file) return;
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
        .then((wire) => this.#adopt(wire, peerId))
        .then((session) => waitReady(session))
        .finally(() => this.#pendingSessions.delete(peerId));
      this.#pendingSessions.set(peerId, pending);
    }
    return pending;
  }

  #adopt(wire: Wire, peerId: string): PeerSession {
    const session = new PeerSession(wire, this, peerId);
    if (this.#stopped) {
      session.close('peer stopping');
      return session;
    }
    session.on('ready', () => {
      if (session.remoteId !== peerId) {
        session.close('peer id does not match the one it was reached by');
        return;
      }
      const previous = this.#sessions.get(peerId);
      if (previous && previous !== session && !previous.destroyed) {
        // Two connections to one peer (both dialled at once): keep the newer one.
        previous.close('replaced by a newer connection');
      }
      this.#sessions.set(peerId, session);
      this.emit('sessions');
    });
    session.on('have', (id, bits) => {
      const mine = this.#files.get(id);
      if (!session.haveSent.has(id)) {
        if (mine) session.sendHave(id, mine.have);
        else session.sendUnknown(id);
      }
      this.#downloads.get(id)?.onHave(session, bits);
    });
    session.on('chunk', (id, chunk, bytes) => void this.#downloads.get(id)?.onChunk(session, chunk, bytes));
    session.on('reject', (id, chunk, reason) => this.#downloads.get(id)?.onReject(session, chunk, reason));
    session.on('close', (reason) => {
      if (this.#sessions.get(peerId) === session) this.#sessions.delete(peerId);
      for (const d of this.#downloads.values()) d.onSessionClosed(session);
      this.emit('warning', peerId, 'SESSION_CLOSED', reason);
      this.emit('sessions');
    });
    return session;
  }
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
