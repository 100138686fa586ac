/**
 * The tracker's logic: one method per request, taking a peer id and an already-validated
 * request, returning a result or throwing a TrackerError. No sockets and no HTTP here
 * (server/socket-api.ts and server/rest-api.ts do the I/O); the store, SHA-256, the clock and
 * the random source are passed in.
 */
import { verifyManifest, type Manifest, type Sha256 } from '../core/manifest.ts';
import { ShoalError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import {
  DEFAULT_EXPIRY_MS,
  DEFAULT_HEARTBEAT_MS,
  MAX_CONTACTS_PER_PEER,
  MAX_FILES_PER_PEER,
  MAX_SEARCH_CANDIDATES,
  MAX_WHOHAS_PEERS
} from './constants.ts';
import { TrackerError } from './errors.ts';
import type { AnnounceRecord, IndexStore } from './index-store.ts';
import { Registry, type RegistryCounts } from './registry.ts';
import { parseSearchQuery } from './search-query.ts';
import { rankHits, shuffle } from './search.ts';
import { Stats, type StatsSnapshot } from './stats.ts';
import type { AnnounceRequest, IceServer, PeerKind, SearchRequest, UnannounceRequest } from './schemas.ts';
import type { AnnounceResult, FileInfo, HelloResult, PeerSummary, Rejection, SearchResult, WhohasResult } from './api.ts';

export interface TrackerOptions {
  /** Handed to clients in hello; empty by default so nothing ever contacts a server off the machine. */
  iceServers: IceServer[];
  heartbeatMs: number;
  expiryMs: number;
}

export interface TrackerDeps {
  store: IndexStore;
  sha256: Sha256;
  now?: () => number;
  random?: () => number;
  log?: Logger;
}

export interface TrackerStats extends StatsSnapshot {
  uptimeMs: number;
  peers: RegistryCounts;
  files: { indexed: number; active: number };
}

export class Tracker {
  readonly options: Readonly<TrackerOptions>;
  readonly stats: Stats;
  readonly registry = new Registry({ maxContactsPerPeer: MAX_CONTACTS_PER_PEER });
  readonly #store: IndexStore;
  readonly #sha256: Sha256;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: Logger;

  constructor(deps: TrackerDeps, options: Partial<TrackerOptions> = {}) {
    this.#store = deps.store;
    this.#sha256 = deps.sha256;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
    this.#log = deps.log ?? silentLogger;
    this.options = {
      iceServers: options.iceServers ?? [],
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      expiryMs: options.expiryMs ?? DEFAULT_EXPIRY_MS
    };
    this.stats = new Stats(this.#now());
  }

  get storeKind(): string {
    return this.#store.kind;
  }

  /** A peer came online. One already online under this id is replaced (it leaves its swarms). */
  connect(peerId: string, kind: PeerKind): void {
    if (this.registry.hasPeer(peerId)) this.disconnect(peerId);
    this.registry.addPeer(peerId, kind, this.#now());
  }

  /** A peer went away: it leaves every swarm, and those files are marked seen now. */
  disconnect(peerId: string): void {
    const left = this.registry.removePeer(peerId);
    this.#touchFiles(left);
  }

  /** Any message from the peer: it is alive. */
  touch(peerId: string): void {
    this.registry.touch(peerId, this.#now());
  }

  /** Removes peers silent for longer than expiryMs; returns their ids so the caller can close their sockets. */
  sweep(): string[] {
    const expired = this.registry.expired(this.#now(), this.options.expiryMs);
    for (const peerId of expired) {
      this.disconnect(peerId);
      this.stats.connections.expired++;
    }
    return expired;
  }

  hello(peerId: string): HelloResult {
    const peer = this.registry.getPeer(peerId);
    if (!peer) throw new TrackerError('PEER_GONE', 'This connection is no longer registered.');
    const { iceServers, heartbeatMs, expiryMs } = this.options;
    return { peerId, kind: peer.kind, iceServers: structuredClone(iceServers), heartbeatMs, expiryMs };
  }

  async announce(peerId: string, req: AnnounceRequest): Promise<AnnounceResult> {
    const now = this.#now();
    const session = this.registry.getPeer(peerId);
    const known = await this.#store.getFiles([...new Set(req.files.map((f) => f.id))]);
    const chunksOf = new Map<string, number>();
    for (const [id, file] of known) chunksOf.set(id, file.chunks);
    /** Manifests verified in this request and not yet put in a record. */
    const verified = new Map<string, Manifest>();
    const accepted: string[] = [];
    const rejected: Rejection[] = [];
    const records: AnnounceRecord[] = [];
    const joins: { id: string; chunks: number; have: number }[] = [];
    const joining = new Set<string>();
    const member = session?.files;
    let room = MAX_FILES_PER_PEER - (member?.size ?? 0);
    for (const f of req.files) {
      const reject = (code: Rejection['code'], message: string) => {
        rejected.push({ id: f.id, code, message });
        this.stats.rejectedFile(code);
      };
      let chunks = chunksOf.get(f.id);
      if (chunks === undefined) {
        if (f.manifest === undefined) {
          reject('BAD_REQUEST', 'This id is not in the index: include its manifest.');
          continue;
        }
        try {
          const manifest = await verifyManifest(f.manifest, f.id, this.#sha256);
          verified.set(f.id, manifest);
          chunks = manifest.chunkHashes.length;
          chunksOf.set(f.id, chunks);
        } catch (err) {
          if (!(err instanceof ShoalError)) throw err;
          reject(err.code === 'MANIFEST_MISMATCH' ? 'MANIFEST_MISMATCH' : 'BAD_REQUEST', err.message);
          continue;
        }
      }
      if (f.have > chunks) {
        reject('BAD_REQUEST', `have (${f.have}) is more than the file's ${chunks} chunks.`);
        continue;
      }
      if (!member?.has(f.id) && !joining.has(f.id)) {
        if (room <= 0) {
          reject('BAD_REQUEST', `A peer may be in at most ${MAX_FILES_PER_PEER} swarms.`);
          continue;
        }
        room--;
      }
      accepted.push(f.id);
      records.push({ id: f.id, manifest: verified.get(f.id), visibility: f.visibility ?? 'public' });
      verified.delete(f.id);
      joins.push({ id: f.id, chunks, have: f.have });
      joining.add(f.id);
    }
    if (records.length > 0) await this.#store.recordAnnounces(records, now);
    // The peer may have gone (or reconnected as a new session) while the store or the hashing ran.
    if (session && this.registry.getPeer(peerId) === session) {
      for (const j of joins) this.registry.join(peerId, j.id, j.chunks, j.have);
    }
    this.stats.announces.files += accepted.length;
    this.stats.announces.newFiles += records.filter((r) => r.manifest).length;
    return { accepted, rejected };
  }

  unannounce(peerId: string, req: UnannounceRequest): Record<string, never> {
    const left = req.ids.filter((id) => this.registry.leave(peerId, id));
    this.#touchFiles(left);
    return {};
  }

  async whohas(peerId: string, id: string): Promise<WhohasResult> {
    const file = await this.#store.getFile(id);
    if (!file) throw new TrackerError('NOT_FOUND', 'No file with this id is in the index.');
    const members = this.registry.members(id, peerId);
    const seeders = shuffle(members.filter((p) => p.seeder), this.#random);
    const leechers = shuffle(members.filter((p) => !p.seeder), this.#random);
    const peers = [...seeders, ...leechers].slice(0, MAX_WHOHAS_PEERS);
    for (const p of peers) this.registry.allowContact(peerId, p.peerId);
    return { peers };
  }

  async manifest(id: string): Promise<{ manifest: Manifest }> {
    const manifest = await this.#store.getManifest(id);
    if (!manifest) throw new TrackerError('NOT_FOUND', 'No file with this id is in the index.');
    return { manifest };
  }

  /**
   * Checks that `from` may signal `to` and records that `to` may answer. Throws BAD_REQUEST
   * (to self), PEER_GONE (target offline) or FORBIDDEN (no shared swarm, no whohas answer, no
   * earlier signal from the target).
   */
  authorizeSignal(from: string, to: string): void {
    if (from === to) throw new TrackerError('BAD_REQUEST', 'A peer cannot signal itself.');
    if (!this.registry.hasPeer(to)) throw new TrackerError('PEER_GONE', 'The target peer is not connected.');
    if (!this.registry.mayContact(from, to)) {
      throw new TrackerError('FORBIDDEN', 'Signal only peers you share a swarm with, found by whohas, or that signalled you.');
    }
    this.registry.allowContact(to, from);
    this.stats.signalsRelayed++;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const { total, rows } = await this.#store.search(parseSearchQuery(req.q), MAX_SEARCH_CANDIDATES);
    const hits = rankHits(rows, (id) => this.registry.swarmCounts(id), this.#now());
    return { total, results: hits.slice(req.offset, req.offset + req.limit) };
  }

  async fileInfo(id: string): Promise<FileInfo> {
    const [file, manifest] = await Promise.all([this.#store.getFile(id), this.#store.getManifest(id)]);
    if (!file || !manifest) throw new TrackerError('NOT_FOUND', 'No file with this id is in the index.');
    const counts = this.registry.swarmCounts(id);
    const lastSeen = counts.seeders + counts.leechers > 0 ? this.#now() : file.lastSeen;
    return { ...file, lastSeen, ...counts, manifest };
  }

  peers(limit: number, offset: number): { total: number; peers: PeerSummary[] } {
    const ids = this.registry.peerIds();
    const peers = ids
      .slice(offset, offset + limit)
      .map((id) => this.registry.summary(id))
      .filter((p): p is PeerSummary => p !== undefined);
    return { total: ids.length, peers };
  }

  async health(): Promise<{ store: string; peers: number; files: number }> {
    return { store: this.#store.kind, peers: this.registry.counts().peers, files: await this.#store.countFiles() };
  }

  async report(): Promise<TrackerStats> {
    const counts = this.registry.counts();
    const indexed = await this.#store.countFiles();
    return {
      ...this.stats.snapshot(),
      uptimeMs: this.#now() - this.stats.startedAt,
      peers: counts,
      files: { indexed, active: counts.swarms }
    };
  }

  #touchFiles(ids: string[]): void {
    if (ids.length === 0) return;
    this.#store.touch(ids, this.#now()).catch((err: unknown) => this.#log.warn('could not mark files seen', { err }));
  }
}
