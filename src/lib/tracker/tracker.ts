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
import { MemoryPresence, type Presence, type PresenceCounts, type SwarmJoin } from './presence.ts';
import { parseSearchQuery } from './search-query.ts';
import { rankHits, shuffle } from './search.ts';
import { countersSince, Stats, type NetworkCounters, type StatsCounters, type StatsSnapshot } from './stats.ts';
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

const EMPTY_COUNTS: PresenceCounts = { peers: 0, browser: 0, node: 0, swarms: 0, seeders: 0, leechers: 0, announcedBytes: 0 };

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
  /** Who is online; a MemoryPresence (this process only) by default. Whoever made it closes it. */
  presence?: Presence;
  /** Names this process in session ids (random by default). */
  nodeId?: string;
  /**
   * The counters of the whole network (several processes), for the overview; undefined, or a
   * function answering undefined, means this process's own.
   */
  networkCounters?: () => NetworkCounters | undefined;
  /** Public URLs of the live processes of this network, for hello; empty or absent: none given. */
  trackerUrls?: () => string[];
}

export interface TrackerStats extends StatsSnapshot {
  uptimeMs: number;
  peers: Omit<PresenceCounts, 'announcedBytes'>;
  files: { indexed: number; active: number; bytesAnnounced: number };
}

export interface TrackerHealth {
  store: string;
  storeState: 'ok' | 'error';
  presence: string;
  presenceState: 'ok' | 'error';
  /** Online in the whole network (every process sharing the presence); null if the presence failed. */
  peers: number | null;
  files: number | null;
  /** Public URLs of the live processes (several processes with SHOAL_PUBLIC_URL). */
  trackers?: string[];
}

export class Tracker {
  readonly options: Readonly<TrackerOptions>;
  readonly stats: Stats;
  readonly presence: Presence;
  /** Peers connected to this process: their session and kind. */
  readonly #local = new Map<string, { session: string; kind: PeerKind }>();
  readonly #nodeId: string;
  #sessions = 0;
  /** When each local peer's liveness was last written to the presence (at most every #touchEveryMs). */
  readonly #touched = new Map<string, number>();
  readonly #touchEveryMs: number;
  readonly #store: IndexStore;
  readonly #sha256: Sha256;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #turnServer: TrackerDeps['turnServer'];
  readonly #networkCounters: TrackerDeps['networkCounters'];
  readonly #trackerUrls: TrackerDeps['trackerUrls'];
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
    this.#networkCounters = deps.networkCounters;
    this.#trackerUrls = deps.trackerUrls;
    this.presence = deps.presence ?? new MemoryPresence({ maxContactsPerPeer: MAX_CONTACTS_PER_PEER });
    this.#nodeId = deps.nodeId ?? Math.floor(this.#random() * 2 ** 48).toString(36);
    this.options = {
      iceServers: options.iceServers ?? [],
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      expiryMs: options.expiryMs ?? DEFAULT_EXPIRY_MS,
      statsRetentionMs: options.statsRetentionMs ?? DEFAULT_STATS_RETENTION_MS,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all'
    };
    this.stats = new Stats(this.#now());
    // Every message proves a peer alive, but with a shared presence each write is a round trip
    // to Redis: one a second (a tenth of a short expiry) is plenty for the expiry to work.
    this.#touchEveryMs = Math.min(1_000, Math.floor(this.options.expiryMs / 10));
  }

  get storeKind(): string {
    return this.#store.kind;
  }

  /**
   * A peer came online on this process; resolves to its new session. One already online under
   * this id, here or on another process, is replaced (it leaves its swarms).
   */
  async connect(peerId: string, kind: PeerKind): Promise<string> {
    const session = `${this.#nodeId}-${++this.#sessions}`;
    this.#local.set(peerId, { session, kind });
    this.#completions.delete(peerId);
    this.#touched.delete(peerId);
    const left = await this.presence.addPeer(peerId, kind, session, this.#now());
    this.#touchFiles(left);
    return session;
  }

  /**
   * A peer went away: it leaves every swarm, and those files are marked seen now. With
   * `session`, only if that is still its session (a newer connection stays).
   */
  async disconnect(peerId: string, session = this.#local.get(peerId)?.session): Promise<void> {
    if (session === undefined) return;
    if (this.#local.get(peerId)?.session === session) {
      this.#local.delete(peerId);
      this.#completions.delete(peerId);
      this.#touched.delete(peerId);
    }
    this.#touchFiles(await this.presence.removePeer(peerId, session));
  }

  /**
   * Any message from the peer: it is alive. Resolves to false when the presence no longer knows
   * this peer although it is still connected here (its registration was lost, e.g. a shared
   * Redis restarted empty): the caller closes the connection so that the peer reconnects and
   * announces again. True otherwise, also when the presence store did not answer.
   */
  async touch(peerId: string): Promise<boolean> {
    const now = this.#now();
    const last = this.#touched.get(peerId);
    if (last !== undefined && now - last < this.#touchEveryMs) return true;
    this.#touched.set(peerId, now);
    const local = this.#local.get(peerId);
    try {
      const online = await this.presence.touch(peerId, now);
      return online || this.#local.get(peerId) !== local;
    } catch (err) {
      this.#log.warn('could not record a heartbeat', { err: String(err) });
      return true;
    }
  }

  /**
   * Removes peers silent for longer than expiryMs, on any process sharing the presence; resolves
   * to their ids so the caller can close their sockets.
   */
  async sweep(): Promise<string[]> {
    const expired = await this.presence.expire(this.#now(), this.options.expiryMs);
    for (const { peerId, left } of expired) {
      this.#local.delete(peerId);
      this.#completions.delete(peerId);
      this.#touched.delete(peerId);
      this.#touchFiles(left);
      this.stats.connections.expired++;
    }
    return expired.map((e) => e.peerId);
  }

  /** Public URLs of the live processes of this network (hello, heartbeat answers, health); none given: empty. */
  trackerUrls(): string[] {
    return this.#trackerUrls?.() ?? [];
  }

  hello(peerId: string): HelloResult {
    const peer = this.#local.get(peerId);
    if (!peer) throw new TrackerError('PEER_GONE', 'This connection is no longer registered.');
    const { iceServers, heartbeatMs, expiryMs, iceTransportPolicy } = this.options;
    const servers = structuredClone(iceServers);
    if (this.#turnServer) servers.push(this.#turnServer(peerId, this.#now()));
    const trackers = this.trackerUrls();
    return { peerId, kind: peer.kind, iceServers: servers, iceTransportPolicy, heartbeatMs, expiryMs, ...(trackers.length ? { trackers } : {}) };
  }

  async announce(peerId: string, req: AnnounceRequest): Promise<AnnounceResult> {
    const now = this.#now();
    const session = this.#local.get(peerId)?.session;
    const ids = [...new Set(req.files.map((f) => f.id))];
    const [known, member] = await Promise.all([
      this.#store.getFiles(ids),
      session === undefined ? undefined : this.presence.memberships(peerId, ids)
    ]);
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
    const joins: SwarmJoin[] = [];
    const joining = new Set<string>();
    let room = MAX_FILES_PER_PEER - (member?.count ?? 0);
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
      if (!member?.member.has(f.id) && !joining.has(f.id)) {
        if (room <= 0) {
          reject('BAD_REQUEST', `A peer may be in at most ${MAX_FILES_PER_PEER} swarms.`);
          continue;
        }
        room--;
      }
      accepted.push(f.id);
      records.push({ id: f.id, manifest: verified.get(f.id), visibility: f.visibility ?? 'public' });
      verified.delete(f.id);
      joins.push({ id: f.id, chunks, have: f.have, size: sizeOf.get(f.id) ?? 0 });
      joining.add(f.id);
    }
    if (records.length > 0) await this.#store.recordAnnounces(records, now);
    // The peer may have gone (or reconnected as a new session) while the store or the hashing
    // ran: the presence then refuses the session and nothing joins.
    if (session !== undefined && joins.length > 0) {
      const promoted = await this.presence.join(peerId, session, joins);
      if (promoted) this.#countCompletions(peerId, promoted, 0);
    }
    this.stats.announces.requests++;
    this.stats.announces.files += accepted.length;
    this.stats.announces.newFiles += records.filter((r) => r.manifest).length;
    return { accepted, rejected };
  }

  async unannounce(peerId: string, req: UnannounceRequest): Promise<Record<string, never>> {
    this.#touchFiles(await this.presence.leave(peerId, req.ids));
    return {};
  }

  async whohas(peerId: string, id: string): Promise<WhohasResult> {
    const file = await this.#store.getFile(id);
    if (!file) throw new TrackerError('NOT_FOUND', 'No file with this id is in the index.');
    const members = await this.presence.members(id, peerId);
    // A random subset of a large swarm: seeders first, but at most half the list while there are
    // downloaders to fill the rest, so a newcomer also meets downloaders to trade with.
    const seeders = shuffle(members.filter((p) => p.seeder), this.#random);
    const leechers = shuffle(members.filter((p) => !p.seeder), this.#random);
    const seedersShown = Math.max(Math.ceil(MAX_WHOHAS_PEERS / 2), MAX_WHOHAS_PEERS - leechers.length);
    const peers = [...seeders.slice(0, seedersShown), ...leechers].slice(0, MAX_WHOHAS_PEERS);
    await this.presence.allowContacts(peerId, peers.map((p) => p.peerId));
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
  async authorizeSignal(from: string, to: string): Promise<void> {
    if (from === to) throw new TrackerError('BAD_REQUEST', 'A peer cannot signal itself.');
    const [target, may] = await Promise.all([this.presence.getPeer(to), this.presence.mayContact(from, to)]);
    if (!target) throw new TrackerError('PEER_GONE', 'The target peer is not connected.');
    if (!may) {
      throw new TrackerError('FORBIDDEN', 'Signal only peers you share a swarm with, found by whohas, or that signalled you.');
    }
    await this.presence.allowContacts(to, [from]);
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
    if (!this.#local.has(peerId)) return;
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
    const counts = await this.presence.swarmCounts(rows.map((r) => r.id));
    const hits = rankHits(rows, (id) => counts.get(id) ?? { seeders: 0, leechers: 0 }, this.#now());
    return { total, results: hits.slice(req.offset, req.offset + req.limit) };
  }

  async fileInfo(id: string): Promise<FileInfo> {
    const [file, manifest, swarms] = await Promise.all([this.#store.getFile(id), this.#store.getManifest(id), this.presence.swarmCounts([id])]);
    if (!file || !manifest) throw new TrackerError('NOT_FOUND', 'No file with this id is in the index.');
    const counts = swarms.get(id) ?? { seeders: 0, leechers: 0 };
    const lastSeen = counts.seeders + counts.leechers > 0 ? this.#now() : file.lastSeen;
    return { ...file, lastSeen, ...counts, manifest };
  }

  peers(limit: number, offset: number): Promise<{ total: number; peers: PeerSummary[] }> {
    return this.presence.peerList(limit, offset);
  }

  /** GET /api/health: whether the index store answers, peers online here, files indexed (null if the store failed). */
  async health(): Promise<TrackerHealth> {
    const [counts, files] = await Promise.all([this.#countsOrNull(), this.#countFilesOrNull()]);
    const trackers = this.trackerUrls();
    return {
      store: this.#store.kind,
      storeState: files === null ? 'error' : 'ok',
      presence: this.presence.kind,
      presenceState: counts === null ? 'error' : 'ok',
      peers: counts?.peers ?? null,
      files,
      ...(trackers.length ? { trackers } : {})
    };
  }

  async #countsOrNull(): Promise<PresenceCounts | null> {
    try {
      return await this.presence.counts();
    } catch (err) {
      this.#log.warn('the presence store did not answer', { err: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }

  /** GET /metrics: the statistics, with `indexed` null (and 0 in stats) when the store does not answer, zero peers when the presence does not. */
  async metrics(): Promise<{ stats: TrackerStats; indexed: number | null; presenceUp: boolean }> {
    const [indexed, counts] = await Promise.all([this.#countFilesOrNull(), this.#countsOrNull()]);
    return { stats: this.#statistics(indexed ?? 0, counts ?? EMPTY_COUNTS), indexed, presenceUp: counts !== null };
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
    const [indexed, counts] = await Promise.all([this.#store.countFiles(), this.presence.counts()]);
    return this.#statistics(indexed, counts);
  }

  #statistics(indexed: number, counts: PresenceCounts): TrackerStats {
    const { announcedBytes, ...peers } = counts;
    return {
      ...this.stats.snapshot(),
      uptimeMs: this.#now() - this.stats.startedAt,
      peers,
      files: { indexed, active: counts.swarms, bytesAnnounced: announcedBytes }
    };
  }

  /**
   * What dashboards see (GET /api/overview, the /dashboard feed). Public data only: the listed
   * files are read from the index and kept only if public.
   */
  async overview(): Promise<Overview> {
    const now = this.#now();
    const [counts, indexed, topFiles, peerList] = await Promise.all([
      this.presence.counts(),
      this.#store.countFiles(),
      this.#topFiles(),
      this.presence.peerList(OVERVIEW_PEERS, 0)
    ]);
    const s = this.stats;
    return {
      time: now,
      startedAt: s.startedAt,
      uptimeMs: now - s.startedAt,
      peers: { total: counts.peers, browser: counts.browser, node: counts.node },
      files: { indexed, active: counts.swarms, bytesAnnounced: counts.announcedBytes },
      swarms: { active: counts.swarms, seeders: counts.seeders, leechers: counts.leechers },
      ...this.#activity(),
      peerList: peerList.peers,
      topFiles
    };
  }

  /** Transfers and activity for the overview: the network's when known, else this process's. */
  #activity(): Pick<Overview, 'transfers' | 'activity'> {
    const n = this.#networkCounters?.();
    if (n) {
      return {
        transfers: { completed: n.transfers, bytesUp: n.bytesUp, bytesDown: n.bytesDown, reports: n.reports },
        activity: { announces: n.announces, searches: n.searches, signals: n.signals }
      };
    }
    const s = this.stats;
    return {
      transfers: { ...s.transfers },
      activity: { announces: s.announces.requests, searches: s.searches, signals: s.signalsRelayed }
    };
  }

  /** This process's counters with the number of reports: what it adds to the network's. */
  networkShare(): NetworkCounters {
    return { ...this.stats.counters(), reports: this.stats.transfers.reports };
  }

  async #topFiles(): Promise<TopFile[]> {
    const ids = await this.presence.busiestSwarms(TOP_FILES_SCAN);
    const out: TopFile[] = [];
    for (let i = 0; i < ids.length && out.length < OVERVIEW_TOP_FILES; i += 100) {
      const batch = ids.slice(i, i + 100);
      const [files, counts] = await Promise.all([this.#store.getFiles(batch), this.presence.swarmCounts(batch)]);
      for (const id of batch) {
        const file = files.get(id);
        if (!file || file.visibility !== 'public') continue;
        out.push({ id, name: file.name, size: file.size, ...(counts.get(id) ?? { seeders: 0, leechers: 0 }) });
        if (out.length >= OVERVIEW_TOP_FILES) break;
      }
    }
    return out;
  }

  /**
   * Takes a statistics history point (gauges now, this process's counters since its previous
   * point), and stores it unless `merge` (several processes, one history) turns it into the
   * network's point or into nothing (another process records this interval). Prunes points older
   * than statsRetentionMs. The tracker host calls this on a timer.
   */
  async recordHistory(merge?: (point: StatsPoint) => Promise<StatsPoint | undefined>): Promise<StatsPoint | undefined> {
    const now = this.#now();
    const counters = this.stats.counters();
    const delta = countersSince(counters, this.#lastCounters);
    this.#lastCounters = counters;
    const [counts, files] = await Promise.all([this.presence.counts(), this.#store.countFiles()]);
    const taken: StatsPoint = {
      time: now,
      browserPeers: counts.browser,
      nodePeers: counts.node,
      files,
      swarms: counts.swarms,
      bytesAnnounced: counts.announcedBytes,
      ...delta
    };
    const point = merge ? await merge(taken) : taken;
    if (!point) return undefined;
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
