/**
 * The peers of one file, with how many chunks each holds. Pure state: no sockets, no clock
 * (like bittorrent-tracker's lib/server/swarm.js).
 */
export class Swarm {
  readonly id: string;
  /** Chunk count of the file: a member holding all of them is a seeder. */
  readonly chunks: number;
  /** File size in bytes (for the bytes-announced statistic). */
  readonly bytes: number;
  #members = new Map<string, number>();
  #seeders = 0;

  constructor(id: string, chunks: number, bytes = 0) {
    this.id = id;
    this.chunks = chunks;
    this.bytes = bytes;
  }

  get size(): number {
    return this.#members.size;
  }

  get seeders(): number {
    return this.#seeders;
  }

  get leechers(): number {
    return this.#members.size - this.#seeders;
  }

  has(peerId: string): boolean {
    return this.#members.has(peerId);
  }

  /** Chunks the member holds, or undefined if it is not a member. */
  have(peerId: string): number | undefined {
    return this.#members.get(peerId);
  }

  isSeeder(peerId: string): boolean {
    return this.#members.get(peerId) === this.chunks;
  }

  /** Adds a member or updates what it holds. `have` must be 0..chunks. */
  set(peerId: string, have: number): void {
    const before = this.#members.get(peerId);
    if (before !== undefined && before === this.chunks) this.#seeders--;
    this.#members.set(peerId, have);
    if (have === this.chunks) this.#seeders++;
  }

  remove(peerId: string): boolean {
    const have = this.#members.get(peerId);
    if (have === undefined) return false;
    if (have === this.chunks) this.#seeders--;
    this.#members.delete(peerId);
    return true;
  }

  /** Members as [peerId, have] pairs, in join order. */
  entries(): IterableIterator<[string, number]> {
    return this.#members.entries();
  }
}
