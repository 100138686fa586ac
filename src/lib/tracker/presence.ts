/**
 * Presence: who is online, in which swarms, holding how much, and whom each may signal. The
 * tracker reads and writes it only through this interface. Two implementations, both passing
 * presence.contract.ts:
 * - MemoryPresence (here): one process, the Registry in memory. The default.
 * - RedisPresence (redis-presence.ts): shared by every tracker process on one Redis, so a peer
 *   on process 1 finds, and may signal, a peer on process 2.
 *
 * Every registration carries a session (the connection that made it). A peer that reconnects,
 * to this process or another, gets a new session; removing it with an older session is a no-op,
 * so a late disconnect of the old connection cannot take the new one out.
 */
import type { PeerSummary, SwarmPeer } from './api.ts';
import { Registry, type RegistryCounts } from './registry.ts';
import type { PeerKind } from './schemas.ts';

export interface PresencePeer {
  peerId: string;
  kind: PeerKind;
  session: string;
  connectedAt: number;
  lastSeen: number;
}

export interface SwarmJoin {
  id: string;
  /** Chunk count of the file (a member holding all is a seeder); the first join's count stays. */
  chunks: number;
  have: number;
  /** File size in bytes, counted in announcedBytes while the swarm has members. */
  size: number;
}

export interface SwarmCounts {
  seeders: number;
  leechers: number;
}

export interface PresenceCounts extends RegistryCounts {
  /** Sum of the sizes of the files whose swarm has someone in it. */
  announcedBytes: number;
}

export interface ExpiredPeer {
  peerId: string;
  /** Swarms it left. */
  left: string[];
}

export interface Presence {
  /** 'memory' or 'redis': reported by /api/health and /metrics. */
  readonly kind: string;
  /** Registers a peer under a new session, replacing an earlier one; resolves to the swarms the earlier one left. */
  addPeer(peerId: string, kind: PeerKind, session: string, now: number): Promise<string[]>;
  /** Removes the peer if `session` is still its session; resolves to the swarms it left. */
  removePeer(peerId: string, session: string): Promise<string[]>;
  /** Removes every peer silent for more than `expiryMs` (whichever process it was on). */
  expire(now: number, expiryMs: number): Promise<ExpiredPeer[]>;
  getPeer(peerId: string): Promise<PresencePeer | undefined>;
  /**
   * The peer is alive at `now`. Resolves to false if the peer is not online (expired, or its
   * registration was lost, e.g. with a Redis that restarted empty).
   */
  touch(peerId: string, now: number): Promise<boolean>;
  /** How many swarms the peer is in, and which of `ids` among them. */
  memberships(peerId: string, ids: readonly string[]): Promise<{ count: number; member: Set<string> }>;
  /**
   * Puts the peer (if `session` is still its session) in the swarms; `have` is capped at the
   * swarm's chunks. Resolves to how many swarms it turned from leecher to seeder in, or
   * undefined if the session is gone (nothing changed).
   */
  join(peerId: string, session: string, joins: readonly SwarmJoin[]): Promise<number | undefined>;
  /** Takes the peer out of those swarms; resolves to the ones it was in. */
  leave(peerId: string, ids: readonly string[]): Promise<string[]>;
  /** Seeders and leechers of each id (zeros for a swarm nobody is in). */
  swarmCounts(ids: readonly string[]): Promise<Map<string, SwarmCounts>>;
  /** Members of a swarm, `except` left out. */
  members(fileId: string, except?: string): Promise<SwarmPeer[]>;
  /** From now on `from` may signal each of `to` (bounded per peer; the oldest goes first). Only if `from` is online. */
  allowContacts(from: string, to: readonly string[]): Promise<void>;
  /** Whether `from` may signal `to`: a shared swarm, or an earlier permission. */
  mayContact(from: string, to: string): Promise<boolean>;
  /** Ids of the swarms with the most members, best first, at most `limit`. */
  busiestSwarms(limit: number): Promise<string[]>;
  /** Peers, oldest connection first, with the total. */
  peerList(limit: number, offset: number): Promise<{ total: number; peers: PeerSummary[] }>;
  counts(): Promise<PresenceCounts>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Presence of one process, in memory. */
export class MemoryPresence implements Presence {
  readonly kind = 'memory';
  readonly #registry: Registry;

  constructor(opts: { maxContactsPerPeer: number }) {
    this.#registry = new Registry(opts);
  }

  async addPeer(peerId: string, kind: PeerKind, session: string, now: number): Promise<string[]> {
    return this.#registry.addPeer(peerId, kind, now, session);
  }

  async removePeer(peerId: string, session: string): Promise<string[]> {
    return this.#registry.removePeer(peerId, session);
  }

  async expire(now: number, expiryMs: number): Promise<ExpiredPeer[]> {
    return this.#registry.expired(now, expiryMs).map((peerId) => ({ peerId, left: this.#registry.removePeer(peerId) }));
  }

  async getPeer(peerId: string): Promise<PresencePeer | undefined> {
    const p = this.#registry.getPeer(peerId);
    return p && { peerId, kind: p.kind, session: p.session, connectedAt: p.connectedAt, lastSeen: p.lastSeen };
  }

  async touch(peerId: string, now: number): Promise<boolean> {
    this.#registry.touch(peerId, now);
    return this.#registry.hasPeer(peerId);
  }

  async memberships(peerId: string, ids: readonly string[]): Promise<{ count: number; member: Set<string> }> {
    const files = this.#registry.getPeer(peerId)?.files;
    return { count: files?.size ?? 0, member: new Set(ids.filter((id) => files?.has(id))) };
  }

  async join(peerId: string, session: string, joins: readonly SwarmJoin[]): Promise<number | undefined> {
    if (this.#registry.getPeer(peerId)?.session !== session) return undefined;
    let promoted = 0;
    for (const j of joins) {
      const before = this.#registry.holding(peerId, j.id);
      this.#registry.join(peerId, j.id, j.chunks, j.have, j.size);
      const chunks = this.#registry.chunksOf(j.id);
      if (before !== undefined && before !== chunks && this.#registry.holding(peerId, j.id) === chunks) promoted++;
    }
    return promoted;
  }

  async leave(peerId: string, ids: readonly string[]): Promise<string[]> {
    return ids.filter((id) => this.#registry.leave(peerId, id));
  }

  async swarmCounts(ids: readonly string[]): Promise<Map<string, SwarmCounts>> {
    return new Map(ids.map((id) => [id, this.#registry.swarmCounts(id)]));
  }

  async members(fileId: string, except?: string): Promise<SwarmPeer[]> {
    return this.#registry.members(fileId, except);
  }

  async allowContacts(from: string, to: readonly string[]): Promise<void> {
    for (const t of to) this.#registry.allowContact(from, t);
  }

  async mayContact(from: string, to: string): Promise<boolean> {
    return this.#registry.mayContact(from, to);
  }

  async busiestSwarms(limit: number): Promise<string[]> {
    return this.#registry.busiestSwarms().slice(0, limit);
  }

  async peerList(limit: number, offset: number): Promise<{ total: number; peers: PeerSummary[] }> {
    const ids = this.#registry.peerIds();
    const peers = ids
      .slice(offset, offset + limit)
      .map((id) => this.#registry.summary(id))
      .filter((p): p is PeerSummary => p !== undefined);
    return { total: ids.length, peers };
  }

  async counts(): Promise<PresenceCounts> {
    return { ...this.#registry.counts(), announcedBytes: this.#registry.announcedBytes };
  }

  async close(): Promise<void> {}
}
