import type { Bitfield } from '../core/bitfield.ts';
import type { Manifest } from '../core/manifest.ts';
import type { PeerReputation } from '../core/reputation.ts';

/**
 * The ports the peer engine talks through. Adapters: WebRTC data channels and TCP (Wire),
 * IndexedDB, memory and the filesystem (ChunkStore), the tracker and LAN discovery (Directory).
 */

/** One message-oriented link to one remote peer. Messages arrive whole and in order. */
export interface Wire {
  /** A label for logs: the transport and the remote end. */
  readonly label: string;
  /** Largest message this link carries. */
  readonly maxMessageSize: number;
  send(bytes: Uint8Array): void;
  /** Bytes queued and not yet sent. */
  bufferedAmount(): number;
  /** Resolves once the queue is below the low-water mark (at once if it already is). */
  drain(): Promise<void>;
  close(reason: string): void;
  onMessage(fn: (bytes: Uint8Array) => void): void;
  onClose(fn: (reason: string) => void): void;
}

/** Opens wires to peers by id and reports wires other peers open to us. */
export interface Connector {
  connect(peerId: string, signal?: AbortSignal): Promise<Wire>;
  onIncoming(fn: (peerId: string, wire: Wire) => void): void;
  close(): void;
}

export type FileRole = 'seed' | 'download';
export type Visibility = 'public' | 'unlisted';

export interface StoredFile {
  id: string;
  manifest: Manifest;
  role: FileRole;
  visibility: Visibility;
  addedAt: number;
  /** Chunks held. */
  have: Bitfield;
}

/** Where manifests and verified chunks live. Only verified chunks are ever put. */
export interface ChunkStore {
  putFile(file: Omit<StoredFile, 'have'>): Promise<void>;
  getFile(id: string): Promise<StoredFile | undefined>;
  listFiles(): Promise<StoredFile[]>;
  /** Removes the file and frees its chunks. */
  deleteFile(id: string): Promise<void>;
  getChunk(id: string, index: number): Promise<Uint8Array | undefined>;
  putChunk(id: string, index: number, bytes: Uint8Array): Promise<void>;
}

export interface RemotePeer {
  peerId: string;
  kind: 'browser' | 'node';
  have: number;
  seeder: boolean;
}

export interface AnnounceEntry {
  id: string;
  manifest?: Manifest;
  have: number;
  visibility?: Visibility;
}

/** Who has what: the tracker, or LAN discovery. */
export interface Directory {
  announce(files: AnnounceEntry[]): Promise<void>;
  unannounce(ids: string[]): Promise<void>;
  whoHas(id: string): Promise<RemotePeer[]>;
  /** The manifest for an id, unverified (the caller verifies it against the id). */
  manifest(id: string): Promise<unknown>;
  /** Optional: tell the directory how much was transferred since the last report. */
  report?(r: TransferReport): Promise<void>;
}

export interface TransferReport {
  up: number;
  down: number;
  completed: number;
}

/** Where a peer keeps its reputation book between runs. Records are parsed on load. */
export interface ReputationStore {
  load(): Promise<unknown[]>;
  save(records: PeerReputation[]): Promise<void>;
}
