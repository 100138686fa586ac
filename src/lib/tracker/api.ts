/**
 * The shapes of the tracker's answers, for the browser and Node clients (docs/TRACKER.md).
 * Types only: requests are typed by the schemas in schemas.ts.
 */
import type { Manifest } from '../core/manifest.ts';
import type { TrackerErrorCode } from './errors.ts';
import type { IceServer, PeerKind, Visibility } from './schemas.ts';

export type { AnnounceRequest, UnannounceRequest, SignalRequest, SearchRequest, IceServer, PeerKind, Visibility } from './schemas.ts';

/** Every ack: success with the event's result, or an error code. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; code: TrackerErrorCode; message: string };

/** Socket.IO event names a client may emit. */
export const CLIENT_EVENTS = ['hello', 'announce', 'unannounce', 'whohas', 'manifest', 'signal', 'heartbeat', 'search'] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

export interface HelloResult {
  peerId: string;
  kind: PeerKind;
  iceServers: IceServer[];
  heartbeatMs: number;
  expiryMs: number;
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
export interface FileInfo {
  id: string;
  name: string;
  size: number;
  mimeType: string;
  chunkSize: number;
  chunks: number;
  visibility: Visibility;
  firstSeen: number;
  lastSeen: number;
  announceCount: number;
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
