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
  DEFAULT_STATS_RETENTION_MS,
  MAX_CONTACTS_PER_PEER,
  MAX_FILES_PER_PEER,
  MAX_HISTORY_POINTS,
  MAX_SEARCH_CANDIDATES,
  MAX_WHOHAS_PEERS,
  OVERVIEW_PEERS,
  OVERVIEW_TOP_FILES
} from './constants.ts';
import { TrackerError } from './errors.ts';
import type { AnnounceRecord, IndexStore } from './index-store.ts';
import { Registry, type RegistryCounts } from './registry.ts';
import { parseSearchQuery } from './search-query.ts';
import { rankHits, shuffle } from './search.ts';
import { countersSince, Stats, type StatsCounters, type StatsSnapshot } from './stats.ts';
import type { AnnounceRequest, IceServer, IceTransportPolicy, PeerKind, ReportRequest, SearchRequest, UnannounceRequest } from './schemas.ts';
import type {
  AnnounceResult,
  FileInfo,
  HelloResult,
  Overview,
  PeerSummary,
  Rejection,
  SearchResult,
  StatsPoint,
  TopFile,
  WhohasResult
} from './api.ts';

/** Busiest swarms an overview looks at when picking the most-shared public files (unlisted ones are skipped). */
const TOP_FILES_SCAN = 1_000;

/** Adds without leaving the safe integers (byte totals of a long-running tracker). */
function addSafe(a: number, b: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, a + b);
}

export interface TrackerOptions {
  /** Handed to clients in hello; empty by default so nothing ever contacts a server off the machine. */
  iceServers: IceServer[];
  heartbeatMs: number;
  expiryMs: number;
  /** Statistics history points older than this are pruned when a new one is recorded. */
  statsRetentionMs: number;
  /** Handed to clients in hello: 'relay' makes them use TURN only (tests, or to hide addresses). */
  iceTransportPolicy: IceTransportPolicy;
}

export interface TrackerDeps {
  store: IndexStore;
  sha256: Sha256;
  now?: () => number;
  random?: () => number;
  log?: Logger;
  /** A TURN server entry with short-lived credentials for this peer, added to iceServers in hello. */
  turnServer?: (peerId: string, now: number) => IceServer;
}

export interface TrackerStats extends StatsSnapshot {
  uptimeMs: number;
  peers: RegistryCounts;
  files: { indexed: number; active: number; bytesAnnounced: number };
}

export interface TrackerHealth {
  store: string;
  storeState: 'ok' | 'error';
  peers: number;
  files: number | null;
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
  readonly #turnServer: TrackerDeps['turnServer'];
  /**
   * Per online peer: files it turned from leecher to seeder (`promoted`) and downloads it
   * reported completed (`reported`). The peer has completed max(promoted, reported) transfers,
   * so one that does both is counted once.
   */
  readonly #completions = new Map<string, { promoted: number; reported: number }>();
  /** Counters at the last history point, for its differences. */
  #lastCounters: StatsCounters | undefined;

  constructor(deps: TrackerDeps, options: Partial<TrackerOptions> = {}) {
    this.#store = deps.store;
    this.#sha256 = deps.sha256;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
    this.#log = deps.log ?? silentLogger;
    this.#turnServer = deps.turnServer;
    this.options = {
      iceServers: options.iceServers ?? [],
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      expiryMs: options.expiryMs ?? DEFAULT_EXPIRY_MS,
      statsRetentionMs: options.statsRetentionMs ?? DEFAULT_STATS_RETENTION_MS,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all'
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
    this.#completions.delete(peerId);
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
    const { iceServers, heartbeatMs, expiryMs, iceTransportPolicy } = this.options;
    const servers = structuredClone(iceServers);
    if (this.#turnServer) servers.push(this.#turnServer(peerId, this.#now()));
    return { peerId, kind: peer.kind, iceServers: servers, iceTransportPolicy, heartbeatMs, expiryMs };
  }

  async announce(peerId: string, req: AnnounceRequest): Promise<AnnounceResult> {
    const now = this.#now();
    const session = this.registry.getPeer(peerId);
    const known = await this.#store.getFiles([...new Set(req.files.map((f) => f.id))]);
    const chunksOf = new Map<string, number>();
    const sizeOf = new Map<string, number>();
    for (const [id, file] of known) {
      chunksOf.set(id, file.chunks);
      sizeOf.set(id, file.size);
    }
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
          sizeOf.set(f.id, manifest.size);
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
      let promoted = 0;
      for (const j of joins) {
        const before = this.registry.holding(peerId, j.id);
        this.registry.join(peerId, j.id, j.chunks, j.have, sizeOf.get(j.id) ?? 0);
        if (before !== undefined && before < j.chunks && j.have === j.chunks) promoted++;
      }
      if (promoted > 0) this.#countCompletions(peerId, promoted, 0);
    }
    this.stats.announces.requests++;
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

  /** A peer's transfer report: bytes moved and downloads completed since its previous report. */
  report(peerId: string, req: ReportRequest): Record<string, never> {
    const t = this.stats.transfers;
    t.reports++;
    t.bytesUp = addSafe(t.bytesUp, req.up);
    t.bytesDown = addSafe(t.bytesDown, req.down);
    if (req.completed > 0) this.#countCompletions(peerId, 0, req.completed);
    return {};
  }

  /** Adds promotions (leecher → seeder) and reported completions of a peer; counts what raises max(promoted, reported). */
  #countCompletions(peerId: string, promoted: number, reported: number): void {
    if (!this.registry.hasPeer(peerId)) return;
    let c = this.#completions.get(peerId);
    if (!c) {
      c = { promoted: 0, reported: 0 };
      this.#completions.set(peerId, c);
    }
    const before = Math.max(c.promoted, c.reported);
    c.promoted += promoted;
    c.reported += reported;
    this.stats.transfers.completed += Math.max(c.promoted, c.reported) - before;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    this.stats.searches++;
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

  /** GET /api/health: whether the index store answers, peers online here, files indexed (null if the store failed). */
  async health(): Promise<TrackerHealth> {
    const peers = this.registry.counts().peers;
    const files = await this.#countFilesOrNull();
    return { store: this.#store.kind, storeState: files === null ? 'error' : 'ok', peers, files };
  }

  /** GET /metrics: the statistics, with `indexed` null (and 0 in stats) when the store does not answer. */
  async metrics(): Promise<{ stats: TrackerStats; indexed: number | null }> {
    const indexed = await this.#countFilesOrNull();
    return { stats: this.#statistics(indexed ?? 0), indexed };
  }

  async #countFilesOrNull(): Promise<number | null> {
    try {
      return await this.#store.countFiles();
    } catch (err) {
      this.#log.warn('the index store did not answer', { err: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }

  /** GET /api/stats. */
  async statistics(): Promise<TrackerStats> {
    return this.#statistics(await this.#store.countFiles());
  }

  #statistics(indexed: number): TrackerStats {
    const counts = this.registry.counts();
    return {
      ...this.stats.snapshot(),
      uptimeMs: this.#now() - this.stats.startedAt,
      peers: counts,
      files: { indexed, active: counts.swarms, bytesAnnounced: this.registry.announcedBytes }
    };
  }

  /**
   * What dashboards see (GET /api/overview, the /dashboard feed). Public data only: the listed
   * files are read from the index and kept only if public.
   */
  async overview(): Promise<Overview> {
    const now = this.#now();
    const counts = this.registry.counts();
    const [indexed, topFiles] = await Promise.all([this.#store.countFiles(), this.#topFiles()]);
    const s = this.stats;
    return {
      time: now,
      startedAt: s.startedAt,
      uptimeMs: now - s.startedAt,
      peers: { total: counts.peers, browser: counts.browser, node: counts.node },
      files: { indexed, active: counts.swarms, bytesAnnounced: this.registry.announcedBytes },
      swarms: { active: counts.swarms, seeders: counts.seeders, leechers: counts.leechers },
      transfers: { ...s.transfers },
      activity: { announces: s.announces.requests, searches: s.searches, signals: s.signalsRelayed },
      peerList: this.peers(OVERVIEW_PEERS, 0).peers,
      topFiles
    };
  }

  async #topFiles(): Promise<TopFile[]> {
    const ids = this.registry.busiestSwarms().slice(0, TOP_FILES_SCAN);
    const out: TopFile[] = [];
    for (let i = 0; i < ids.length && out.length < OVERVIEW_TOP_FILES; i += 100) {
      const batch = ids.slice(i, i + 100);
      const files = await this.#store.getFiles(batch);
      for (const id of batch) {
        const file = files.get(id);
        if (!file || file.visibility !== 'public') continue;
        out.push({ id, name: file.name, size: file.size, ...this.registry.swarmCounts(id) });
        if (out.length >= OVERVIEW_TOP_FILES) break;
      }
    }
    return out;
  }

  /**
   * Takes a statistics history point (gauges now, counters since the previous point), stores it,
   * and prunes points older than statsRetentionMs. The tracker host calls this on a timer.
   */
  async recordHistory(): Promise<StatsPoint> {
    const now = this.#now();
    const counters = this.stats.counters();
    const delta = countersSince(counters, this.#lastCounters);
    this.#lastCounters = counters;
    const counts = this.registry.counts();
    const point: StatsPoint = {
      time: now,
      browserPeers: counts.browser,
      nodePeers: counts.node,
      files: await this.#store.countFiles(),
      swarms: counts.swarms,
      bytesAnnounced: this.registry.announcedBytes,
      ...delta
    };
    await this.#store.addStatsPoint(point);
    await this.#store.pruneStats(now - this.options.statsRetentionMs);
    return point;
  }

  /** History points of the last `minutes`, oldest first (at most MAX_HISTORY_POINTS, the newest). */
  async history(minutes: number): Promise<StatsPoint[]> {
    return this.#store.statsHistory(this.#now() - minutes * 60_000, MAX_HISTORY_POINTS);
  }

  #touchFiles(ids: string[]): void {
    if (ids.length === 0) return;
    this.#store.touch(ids, this.#now()).catch((err: unknown) => this.#log.warn('could not mark files seen', { err }));
  }
}
