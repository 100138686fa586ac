/**
 * Upload slots for one file, BitTorrent's choking: a peer serves a few interested peers at a time
 * ("unchoked") and refuses the rest ("choked") until the next rechoke.
 *
 * - `slots` regular slots go, at every rechoke, to the interested peers that gave us the most
 *   bytes over the last two rounds while we are downloading (reciprocation: who uploads to us
 *   gets served), or that took the most bytes from us while we are seeding (who can take bytes
 *   fastest spreads them fastest). Ties are broken at random.
 * - One optimistic slot goes to a random other interested peer and moves every
 *   `optimisticEvery` rechokes; a peer that joined within the last `optimisticEvery` rounds is
 *   three times as likely to get it, so a newcomer with nothing to trade gets its first chunks.
 * - Between rechokes a free slot is filled at once: a peer that becomes interested, or one whose
 *   slot was freed, does not wait for the next round.
 *
 * Pure state, no clock and no I/O: the caller calls `rechoke` on its timer, feeds the bytes
 * counted on the wire, and sends what the returned changes say. The random source is injected.
 */
export interface ChokerOptions {
  /** Regular unchoke slots; the optimistic one comes on top. */
  slots: number;
  /** Rechokes between two moves of the optimistic slot. */
  optimisticEvery: number;
  random: () => number;
}

export interface ChokeChanges {
  unchoke: string[];
  choke: string[];
}

interface ChokerPeer {
  interested: boolean;
  unchoked: boolean;
  /** Bytes received from / sent to the peer this round and in the previous one. */
  down: number;
  up: number;
  prevDown: number;
  prevUp: number;
  /** Rechokes since the peer was added. */
  age: number;
}

/** Newcomers' weight in the optimistic draw (BitTorrent's mainline client uses 3). */
const NEWCOMER_WEIGHT = 3;

export class Choker {
  readonly #opts: ChokerOptions;
  readonly #peers = new Map<string, ChokerPeer>();
  #optimistic: string | null = null;
  #round = 0;

  constructor(opts: ChokerOptions) {
    this.#opts = opts;
  }

  has(peer: string): boolean {
    return this.#peers.has(peer);
  }

  isInterested(peer: string): boolean {
    return this.#peers.get(peer)?.interested ?? false;
  }

  isUnchoked(peer: string): boolean {
    return this.#peers.get(peer)?.unchoked ?? false;
  }

  unchoked(): string[] {
    return [...this.#peers].filter(([, p]) => p.unchoked).map(([id]) => id);
  }

  get optimistic(): string | null {
    return this.#optimistic;
  }

  /** A peer that wants the file. It starts choked; a free slot is given at once. */
  add(peer: string, interested: boolean): ChokeChanges {
    if (!this.#peers.has(peer)) this.#peers.set(peer, { interested, unchoked: false, down: 0, up: 0, prevDown: 0, prevUp: 0, age: 0 });
    else this.#peers.get(peer)!.interested = interested;
    return this.#admit({ unchoke: [], choke: [] });
  }

  /** The peer went away: its slot is given to another at once. */
  remove(peer: string): ChokeChanges {
    this.#peers.delete(peer);
    if (this.#optimistic === peer) this.#optimistic = null;
    return this.#admit({ unchoke: [], choke: [] });
  }

  /** The peer lacks (or no longer lacks) something we hold. An uninterested peer gives its slot up. */
  setInterested(peer: string, interested: boolean): ChokeChanges {
    const p = this.#peers.get(peer);
    const changes: ChokeChanges = { unchoke: [], choke: [] };
    if (!p || p.interested === interested) return changes;
    p.interested = interested;
    if (!interested && p.unchoked) {
      p.unchoked = false;
      changes.choke.push(peer);
    }
    return this.#admit(changes);
  }

  /** Bytes of this file we received from the peer. */
  received(peer: string, bytes: number): void {
    const p = this.#peers.get(peer);
    if (p) p.down += bytes;
  }

  /** Bytes of this file we sent to the peer. */
  sent(peer: string, bytes: number): void {
    const p = this.#peers.get(peer);
    if (p) p.up += bytes;
  }

  /** One round: regular slots by rate, the optimistic slot moved every `optimisticEvery` rounds. */
  rechoke(seeding: boolean): ChokeChanges {
    this.#round++;
    const score = new Map<string, number>();
    const tie = new Map<string, number>();
    for (const [id, p] of this.#peers) {
      score.set(id, seeding ? p.up + p.prevUp : p.down + p.prevDown);
      tie.set(id, this.#opts.random());
      p.prevDown = p.down;
      p.prevUp = p.up;
      p.down = 0;
      p.up = 0;
      p.age++;
    }
    const interested = [...this.#peers].filter(([, p]) => p.interested).map(([id]) => id);
    interested.sort((a, b) => score.get(b)! - score.get(a)! || tie.get(a)! - tie.get(b)!);
    const regular = new Set(interested.slice(0, this.#opts.slots));
    const rotate = this.#round % this.#opts.optimisticEvery === 0;
    if (rotate || this.#optimistic === null || regular.has(this.#optimistic) || !this.#peers.get(this.#optimistic)?.interested) {
      this.#optimistic = this.#draw(interested.filter((id) => !regular.has(id)));
    }
    const next = new Set(regular);
    if (this.#optimistic !== null) next.add(this.#optimistic);
    const changes: ChokeChanges = { unchoke: [], choke: [] };
    for (const [id, p] of this.#peers) {
      const want = next.has(id);
      if (want === p.unchoked) continue;
      p.unchoked = want;
      (want ? changes.unchoke : changes.choke).push(id);
    }
    return changes;
  }

  /** A random peer, newcomers weighted NEWCOMER_WEIGHT times. */
  #draw(candidates: string[]): string | null {
    if (candidates.length === 0) return null;
    const weight = (id: string) => (this.#peers.get(id)!.age <= this.#opts.optimisticEvery ? NEWCOMER_WEIGHT : 1);
    const total = candidates.reduce((n, id) => n + weight(id), 0);
    let x = this.#opts.random() * total;
    for (const id of candidates) {
      x -= weight(id);
      if (x < 0) return id;
    }
    return candidates[candidates.length - 1];
  }

  /** Fills free slots (regular and optimistic together) with choked interested peers, at random. */
  #admit(changes: ChokeChanges): ChokeChanges {
    const capacity = this.#opts.slots + 1;
    let used = 0;
    for (const p of this.#peers.values()) if (p.unchoked && p.interested) used++;
    while (used < capacity) {
      const waiting = [...this.#peers].filter(([, p]) => p.interested && !p.unchoked).map(([id]) => id);
      const pick = this.#draw(waiting);
      if (pick === null) break;
      this.#peers.get(pick)!.unchoked = true;
      const i = changes.choke.indexOf(pick);
      if (i >= 0) changes.choke.splice(i, 1);
      else changes.unchoke.push(pick);
      used++;
    }
    return changes;
  }
}
