/**
 * Live presence: which peers are online, which swarms they are in, whom they may signal.
 * In memory, never touches a socket or a clock (times are passed in). MemoryPresence
 * (presence.ts) serves it to one tracker process; RedisPresence keeps the same state in Redis for
 * several.
 */
import { Contacts } from './contacts.ts';
import { Swarm } from './swarm.ts';
import type { PeerKind } from './schemas.ts';
import type { PeerSummary, SwarmPeer } from './api.ts';

export interface PeerState {
  readonly peerId: string;
  readonly kind: PeerKind;
  /** Which connection registered it: a later one under the same id replaces it. */
  readonly session: string;
  readonly connectedAt: number;
  lastSeen: number;
  /** Ids of the swarms this peer is in. */
  readonly files: Set<string>;
}

export interface RegistryCounts {
  peers: number;
  browser: number;
  node: number;
  swarms: number;
  seeders: number;
  leechers: number;
}

export class Registry {
  #peers = new Map<string, PeerState>();
  #swarms = new Map<string, Swarm>();
  #contacts: Contacts;
  /** Sum of the sizes of the files whose swarm has someone in it. */
  #announcedBytes = 0;

  constructor(opts: { maxContactsPerPeer: number }) {
    this.#contacts = new Contacts(opts.maxContactsPerPeer);
  }

  /** Adds a peer; one already present under this id is removed first: returns the swarms it left. */
  addPeer(peerId: string, kind: PeerKind, now: number, session = ''): string[] {
    const left = this.removePeer(peerId);
    this.#peers.set(peerId, { peerId, kind, session, connectedAt: now, lastSeen: now, files: new Set() });
    return left;
  }

  /**
   * Removes a peer from every swarm and forgets it; returns the ids of the swarms it left. With
   * `session`, only if that session is still the peer's (a newer connection stays).
   */
  removePeer(peerId: string, session?: string): string[] {
    const peer = this.#peers.get(peerId);
    if (!peer || (session !== undefined && peer.session !== session)) return [];
    const left = [...peer.files];
    for (const id of left) this.#leaveSwarm(peerId, id);
    this.#peers.delete(peerId);
    this.#contacts.forget(peerId);
    return left;
  }

  hasPeer(peerId: string): boolean {
    return this.#peers.has(peerId);
  }

  getPeer(peerId: string): Readonly<PeerState> | undefined {
    return this.#peers.get(peerId);
  }

  touch(peerId: string, now: number): void {
    const peer = this.#peers.get(peerId);
    if (peer) peer.lastSeen = Math.max(peer.lastSeen, now);
  }

  /** Peers silent since before `now - expiryMs`. */
  expired(now: number, expiryMs: number): string[] {
    const out: string[] = [];
    for (const peer of this.#peers.values()) if (now - peer.lastSeen > expiryMs) out.push(peer.peerId);
    return out;
  }

  /**
   * Puts the peer in the swarm of `fileId` holding `have` of `chunks` chunks; `size` (bytes) counts
   * towards announcedBytes while the swarm has members. False if the peer is not online.
   */
  join(peerId: string, fileId: string, chunks: number, have: number, size = 0): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer) return false;
    let swarm = this.#swarms.get(fileId);
    if (!swarm) {
      swarm = new Swarm(fileId, chunks, size);
      this.#swarms.set(fileId, swarm);
      this.#announcedBytes += swarm.bytes;
    }
    swarm.set(peerId, Math.min(have, swarm.chunks));
    peer.files.add(fileId);
    return true;
  }

  /** Takes the peer out of one swarm; false if it was not in it. */
  leave(peerId: string, fileId: string): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer || !peer.files.has(fileId)) return false;
    this.#leaveSwarm(peerId, fileId);
    return true;
  }

  #leaveSwarm(peerId: string, fileId: string): void {
    this.#peers.get(peerId)?.files.delete(fileId);
    const swarm = this.#swarms.get(fileId);
    if (!swarm) return;
    swarm.remove(peerId);
    if (swarm.size === 0) {
      this.#swarms.delete(fileId);
      this.#announcedBytes -= swarm.bytes;
    }
  }

  /** Chunk count of a swarm's file, or undefined if nobody is in it. */
  chunksOf(fileId: string): number | undefined {
    return this.#swarms.get(fileId)?.chunks;
  }

  /** Chunks the peer holds of a file, or undefined if it is not in that swarm. */
  holding(peerId: string, fileId: string): number | undefined {
    return this.#swarms.get(fileId)?.have(peerId);
  }

  /** Sum of the sizes of the files with at least one peer online. */
  get announcedBytes(): number {
    return this.#announcedBytes;
  }

  /**
   * Ids of the active swarms with the most members (then most seeders, then id), best first.
   * The caller filters them (e.g. unlisted files out), so it may ask for more than it shows.
   */
  busiestSwarms(): string[] {
    return [...this.#swarms.values()]
      .sort((a, b) => b.size - a.size || b.seeders - a.seeders || (a.id < b.id ? -1 : 1))
      .map((s) => s.id);
  }

  fileCount(peerId: string): number {
    return this.#peers.get(peerId)?.files.size ?? 0;
  }

  swarmCounts(fileId: string): { seeders: number; leechers: number } {
    const swarm = this.#swarms.get(fileId);
    return swarm ? { seeders: swarm.seeders, leechers: swarm.leechers } : { seeders: 0, leechers: 0 };
  }

  /** Members of a swarm, `except` left out. */
  members(fileId: string, except?: string): SwarmPeer[] {
    const swarm = this.#swarms.get(fileId);
    if (!swarm) return [];
    const out: SwarmPeer[] = [];
    for (const [peerId, have] of swarm.entries()) {
      if (peerId === except) continue;
      const kind = this.#peers.get(peerId)?.kind ?? 'browser';
      out.push({ peerId, kind, have, seeder: have === swarm.chunks });
    }
    return out;
  }

  sharesSwarm(a: string, b: string): boolean {
    const pa = this.#peers.get(a);
    const pb = this.#peers.get(b);
    if (!pa || !pb) return false;
    const [small, other] = pa.files.size <= pb.files.size ? [pa, pb] : [pb, pa];
    for (const id of small.files) if (other.files.has(id)) return true;
    return false;
  }

  /** From now on `from` may signal `to` (whohas answers, incoming signals). */
  allowContact(from: string, to: string): void {
    if (this.#peers.has(from)) this.#contacts.allow(from, to);
  }

  /** Whether `from` may signal `to`: a shared swarm, or an earlier permission. */
  mayContact(from: string, to: string): boolean {
    return this.#contacts.allowed(from, to) || this.sharesSwarm(from, to);
  }

  summary(peerId: string): PeerSummary | undefined {
    const peer = this.#peers.get(peerId);
    if (!peer) return undefined;
    let seeding = 0;
    for (const id of peer.files) {
      const swarm = this.#swarms.get(id);
      if (swarm && swarm.isSeeder(peerId)) seeding++;
    }
    return {
      peerId,
      kind: peer.kind,
      files: peer.files.size,
      seeding,
      leeching: peer.files.size - seeding,
      connectedAt: peer.connectedAt,
      lastSeen: peer.lastSeen
    };
  }

  /** Peer ids, oldest connection first. */
  peerIds(): string[] {
    return [...this.#peers.keys()];
  }

  counts(): RegistryCounts {
    let browser = 0;
    let node = 0;
    for (const peer of this.#peers.values()) {
      if (peer.kind === 'node') node++;
      else browser++;
    }
    let seeders = 0;
    let leechers = 0;
    for (const swarm of this.#swarms.values()) {
      seeders += swarm.seeders;
      leechers += swarm.leechers;
    }
    return { peers: this.#peers.size, browser, node, swarms: this.#swarms.size, seeders, leechers };
  }
}
