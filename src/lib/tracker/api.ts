/**
 * The shapes of the tracker's answers, for the browser and Node clients (docs/TRACKER.md).
 * Types only: requests are typed by the schemas in schemas.ts.
 */
import type { Manifest } from '../core/manifest.ts';
import type { TrackerErrorCode } from './errors.ts';
import type { IndexedFile } from './index-store.ts';
import type { IceServer, IceTransportPolicy, PeerKind, Visibility } from './schemas.ts';

export type {
  AnnounceRequest,
  UnannounceRequest,
  SignalRequest,
  SearchRequest,
  ReportRequest,
  IceServer,
  IceTransportPolicy,
  PeerKind,
  Visibility
} from './schemas.ts';

/** Every ack: success with the event's result, or an error code. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; code: TrackerErrorCode; message: string };

export interface HelloResult {
  peerId: string;
  kind: PeerKind;
  iceServers: IceServer[];
  /** 'relay': use only TURN relay candidates (RTCConfiguration.iceTransportPolicy). */
  iceTransportPolicy: IceTransportPolicy;
  heartbeatMs: number;
  expiryMs: number;
  /**
   * Public URLs of the live tracker processes of this network (several processes, each with
   * SHOAL_PUBLIC_URL): a client whose tracker dies moves on to another. Absent otherwise.
   */
  trackers?: string[];
}

export interface Rejection {
  id: string;
  code: TrackerErrorCode;
  message: string;
}

export interface AnnounceResult {
  accepted: string[];
  rejected: Rejection[];
}

export interface SwarmPeer {
  peerId: string;
  kind: PeerKind;
  have: number;
  seeder: boolean;
}

export interface WhohasResult {
  peers: SwarmPeer[];
}

export interface ManifestResult {
  manifest: Manifest;
}

export interface SearchHit {
  id: string;
  name: string;
  size: number;
  seeders: number;
  leechers: number;
  /** Milliseconds since the epoch: now if a peer has it, else when the last one left or announced. */
  lastSeen: number;
}

export interface SearchResult {
  total: number;
  results: SearchHit[];
}

/** What the server emits to the target of a signal; `from` is stamped by the server. */
export interface SignalEvent {
  from: string;
  data: unknown;
}

/** GET /api/files/:id */
export interface FileInfo extends IndexedFile {
  seeders: number;
  leechers: number;
  manifest: Manifest;
}

/** One row of GET /api/peers. */
export interface PeerSummary {
  peerId: string;
  kind: PeerKind;
  files: number;
  seeding: number;
  leeching: number;
  connectedAt: number;
  lastSeen: number;
}

/**
 * One row of the statistics history (GET /api/stats/history, the dashboard feed), written once
 * per interval (a minute by default). Gauges are values at `time`; the rest count what happened
 * since the previous point (or since the tracker started, for the first point after a start).
 */
export interface StatsPoint {
  /** Milliseconds since the epoch, when the point was taken. */
  time: number;
  /** Gauges: peers online by kind, files in the index (unlisted included), swarms with a peer, sum of their sizes. */
  browserPeers: number;
  nodePeers: number;
  files: number;
  swarms: number;
  bytesAnnounced: number;
  /** Counts over the interval: announce requests handled, searches (socket and REST), signals relayed, transfers completed, bytes reported. */
  announces: number;
  searches: number;
  signals: number;
  transfers: number;
  bytesUp: number;
  bytesDown: number;
}

/** GET /api/stats/history */
export interface StatsHistoryResult {
  points: StatsPoint[];
}

/** A most-shared public file, as dashboards list it. Unlisted files never appear here. */
export interface TopFile {
  id: string;
  name: string;
  size: number;
  seeders: number;
  leechers: number;
}

/**
 * What dashboards see: GET /api/overview and the `stats` event of the /dashboard namespace.
 * Only public data: counts may include unlisted files, but no unlisted name or id is ever in it.
 */
export interface Overview {
  time: number;
  startedAt: number;
  uptimeMs: number;
  peers: { total: number; browser: number; node: number };
  files: { indexed: number; active: number; bytesAnnounced: number };
  swarms: { active: number; seeders: number; leechers: number };
  transfers: { completed: number; bytesUp: number; bytesDown: number; reports: number };
  activity: { announces: number; searches: number; signals: number };
  /** Online peers, oldest connection first, at most OVERVIEW_PEERS of `peers.total`. */
  peerList: PeerSummary[];
  /** Public files with the most peers online, at most OVERVIEW_TOP_FILES. */
  topFiles: TopFile[];
}

/** The /dashboard namespace's `stats` event: the overview, and the newest history point when one was just written. */
export interface DashboardStatsEvent {
  overview: Overview;
  point?: StatsPoint;
}
