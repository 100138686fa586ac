/**
 * Who may signal whom beyond shared swarms: a peer may signal the peers a whohas returned to it
 * and the peers that signalled it. Bounded per peer; the oldest permission is forgotten first.
 */
export class Contacts {
  #allowed = new Map<string, Set<string>>();
  readonly #max: number;

  constructor(maxPerPeer: number) {
    this.#max = maxPerPeer;
  }

  /** From now on `from` may signal `to`. */
  allow(from: string, to: string): void {
    let set = this.#allowed.get(from);
    if (!set) {
      set = new Set();
      this.#allowed.set(from, set);
    }
    set.delete(to);
    set.add(to);
    if (set.size > this.#max) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
  }

  allowed(from: string, to: string): boolean {
    return this.#allowed.get(from)?.has(to) ?? false;
  }

  /** Forgets what `peerId` was allowed (it left). Permissions others hold towards it stay until they leave. */
  forget(peerId: string): void {
    this.#allowed.delete(peerId);
  }
}
