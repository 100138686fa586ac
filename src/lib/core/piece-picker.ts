import { Bitfield } from './bitfield.ts';

export interface PickerOptions {
  /**
   * Random source in [0, 1) for this download's tie-break order (a random permutation of the
   * chunks, drawn once). Absent: ties go to the lower index (deterministic, for tests).
   */
  random?: () => number;
  /**
   * While we hold fewer than this many chunks, pick in the random order alone, ignoring rarity:
   * a newcomer then completes a few chunks quickly from whoever serves it, and so has something
   * to trade, and two newcomers fed by the same seeder hold different chunks. Default 0.
   */
  randomFirst?: number;
  /**
   * The endgame (a chunk asked of a second peer) starts only once at most this many chunks are
   * missing, as well as all of them in flight. Default: no limit (as soon as all are in flight).
   */
  endgameChunks?: number;
}

/**
 * Chooses which chunk to ask of which peer: a few chunks in random order first, then rarest
 * first among the chunks a peer has and we lack, ties broken by a random order drawn per
 * download (so downloaders that see the same swarm still ask for different chunks), skipping
 * chunks already in flight; once every missing chunk is in flight (endgame), a chunk may be
 * asked of a second peer. Pure bookkeeping: the caller sends and cancels.
 */
export class PiecePicker {
  readonly have: Bitfield;
  /** How many connected peers have each chunk. */
  readonly #availability: Uint16Array;
  /** chunk → its place in this download's tie-break order. */
  readonly #rank: Uint32Array;
  readonly #randomFirst: number;
  readonly #endgameChunks: number;
  /** chunk → peers it is in flight with. */
  readonly #inFlight = new Map<number, Set<string>>();
  readonly #peers = new Map<string, Bitfield>();

  constructor(have: Bitfield, opts: PickerOptions = {}) {
    this.have = have;
    this.#availability = new Uint16Array(have.size);
    this.#randomFirst = opts.randomFirst ?? 0;
    this.#endgameChunks = opts.endgameChunks ?? Infinity;
    const order = Array.from({ length: have.size }, (_, i) => i);
    if (opts.random) {
      // Fisher–Yates with the injected source.
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(opts.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    this.#rank = new Uint32Array(have.size);
    order.forEach((chunk, place) => (this.#rank[chunk] = place));
  }

  get size(): number {
    return this.have.size;
  }

  /**
   * Records a peer's bitfield, replacing any earlier one. Requests in flight with the peer stay
   * in flight: a later `have` does not withdraw them (only removePeer, release or complete do).
   */
  setPeer(peer: string, bits: Bitfield): void {
    const old = this.#peers.get(peer);
    if (old) for (let i = 0; i < old.size && i < this.size; i++) if (old.get(i)) this.#availability[i]--;
    this.#peers.set(peer, bits);
    for (let i = 0; i < bits.size && i < this.size; i++) if (bits.get(i)) this.#availability[i]++;
  }

  peerHas(peer: string, chunk: number): boolean {
    return this.#peers.get(peer)?.get(chunk) ?? false;
  }

  /** Forgets a peer; returns the chunks that were in flight with it (now free to ask elsewhere). */
  removePeer(peer: string): number[] {
    const bits = this.#peers.get(peer);
    if (bits) for (let i = 0; i < bits.size && i < this.size; i++) if (bits.get(i)) this.#availability[i]--;
    this.#peers.delete(peer);
    const freed: number[] = [];
    for (const [chunk, peers] of this.#inFlight) {
      if (peers.delete(peer)) {
        freed.push(chunk);
        if (peers.size === 0) this.#inFlight.delete(chunk);
      }
    }
    return freed;
  }

  availability(chunk: number): number {
    return this.#availability[chunk] ?? 0;
  }

  inFlightWith(peer: string): number[] {
    const out: number[] = [];
    for (const [chunk, peers] of this.#inFlight) if (peers.has(peer)) out.push(chunk);
    return out;
  }

  /** Peers a chunk is currently asked of. */
  askedOf(chunk: number): string[] {
    return [...(this.#inFlight.get(chunk) ?? [])];
  }

  /** Picks up to `max` chunks to ask of `peer`, marking them in flight; `skip` rules chunks out for this peer. */
  pick(peer: string, max: number, skip?: (chunk: number) => boolean): number[] {
    const bits = this.#peers.get(peer);
    if (!bits || max <= 0) return [];
    const candidates: number[] = [];
    let missingNotInFlight = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.have.get(i)) continue;
      if (!this.#inFlight.has(i)) missingNotInFlight++;
      if (bits.get(i) && !this.#inFlight.has(i) && !skip?.(i)) candidates.push(i);
    }
    const endgame = missingNotInFlight === 0 && this.size - this.have.count <= this.#endgameChunks;
    if (endgame) {
      for (let i = 0; i < this.size; i++) {
        const asked = this.#inFlight.get(i);
        if (!this.have.get(i) && bits.get(i) && asked && !asked.has(peer) && asked.size < 2 && !skip?.(i)) candidates.push(i);
      }
    }
    const rank = this.#rank;
    if (this.have.count < this.#randomFirst) candidates.sort((a, b) => rank[a] - rank[b]);
    else candidates.sort((a, b) => this.#availability[a] - this.#availability[b] || rank[a] - rank[b]);
    const chosen = candidates.slice(0, max);
    for (const c of chosen) {
      const set = this.#inFlight.get(c) ?? new Set<string>();
      set.add(peer);
      this.#inFlight.set(c, set);
    }
    return chosen;
  }

  /** A request ended without the chunk (reject, timeout, bad data): the chunk may be picked again. */
  release(peer: string, chunk: number): void {
    const set = this.#inFlight.get(chunk);
    if (!set) return;
    set.delete(peer);
    if (set.size === 0) this.#inFlight.delete(chunk);
  }

  /** A chunk arrived and was verified; returns the other peers it was still asked of (to cancel). */
  complete(chunk: number, from: string): string[] {
    this.have.set(chunk);
    const others = [...(this.#inFlight.get(chunk) ?? [])].filter((p) => p !== from);
    this.#inFlight.delete(chunk);
    return others;
  }
}
