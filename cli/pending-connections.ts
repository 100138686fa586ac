/**
 * The limit on incoming TCP connections that have not yet said what they are (a wire session's
 * hello, or a manifest request): at most `perAddress` from one address and `total` over all. A
 * connection over a limit is never refused: the oldest pending one of its address (or, at the
 * total limit, of the address holding the most) is closed instead. So silent sockets from one
 * address cost only that address its own room, and a peer that connects and speaks at once is
 * always heard. Over the per-address limit, a pending connection younger than `graceMs` is not
 * closed (it may be a peer whose hello is on its way: many peers on one host or behind one NAT
 * dial at once); the total limit bounds those. No sockets here: the transport passes a `drop`
 * callback per connection.
 */
export interface PendingLimits {
  perAddress: number;
  total: number;
  /** Over the per-address limit, only connections pending at least this long are closed. */
  graceMs: number;
  now?: () => number;
}

interface Entry {
  key: string;
  since: number;
  drop: (reason: string) => void;
  released: boolean;
}

export class PendingConnections {
  readonly #limits: PendingLimits;
  readonly #now: () => number;
  /** Address key → its pending connections, oldest first. */
  readonly #byKey = new Map<string, Entry[]>();
  #size = 0;

  constructor(limits: PendingLimits) {
    this.#limits = limits;
    this.#now = limits.now ?? Date.now;
  }

  /** Pending connections now, over every address. */
  get size(): number {
    return this.#size;
  }

  /** Pending connections from one address key now. */
  countOf(key: string): number {
    return this.#byKey.get(key)?.length ?? 0;
  }

  /**
   * Adds a connection from `key`, first closing (through its `drop`) the one that makes room if
   * a limit is reached. Returns `release`, to call once the connection is decided or closed.
   */
  add(key: string, drop: (reason: string) => void): () => void {
    const now = this.#now();
    const own = this.#byKey.get(key);
    if (own && own.length >= this.#limits.perAddress && now - own[0].since >= this.#limits.graceMs) {
      this.#evict(own[0], `TOO_MANY_PENDING: more than ${this.#limits.perAddress} connections from ${key} have not sent their first bytes; the oldest is closed`);
    }
    if (this.#size >= this.#limits.total) {
      let fullest: Entry[] | null = null;
      for (const list of this.#byKey.values()) if (!fullest || list.length > fullest.length) fullest = list;
      if (fullest) this.#evict(fullest[0], `TOO_MANY_PENDING: more than ${this.#limits.total} connections have not sent their first bytes; the oldest of the busiest address is closed`);
    }
    const entry: Entry = { key, since: now, drop, released: false };
    const list = this.#byKey.get(key) ?? [];
    list.push(entry);
    this.#byKey.set(key, list);
    this.#size++;
    return () => this.#release(entry);
  }

  #evict(entry: Entry, reason: string): void {
    this.#release(entry);
    entry.drop(reason);
  }

  #release(entry: Entry): void {
    if (entry.released) return;
    entry.released = true;
    this.#size--;
    const list = this.#byKey.get(entry.key)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.#byKey.delete(entry.key);
  }
}

/**
 * The key a remote address is limited under: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 form), an IPv6 address as its /64 prefix, since one host or link commonly
 * holds a whole /64.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0].toLowerCase();
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === null ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
