/**
 * Counts of what the peer dropped or refused, by kind: malformed UDP datagrams, malformed TCP
 * frames, wire messages that closed a session, connections refused, evicted to make room or
 * closed for idleness (docs/PROTOCOL.md §9, "Timeouts and limits"). Shown by `shoal shell`'s
 * `peers` and in `--json` status events, so a misbehaving network is visible without ever
 * crashing the peer.
 */
export type CounterName =
  | 'malformedDatagrams'
  | 'malformedFrames'
  | 'malformedWireMessages'
  | 'refusedConnections'
  | 'evictedConnections'
  | 'idleConnections'
  | 'manifestRequests'
  | 'datagramsReceived'
  | 'datagramsSent';

export class Counters {
  readonly #values = new Map<CounterName, number>();
  readonly #listeners = new Set<(name: CounterName, value: number, detail: string) => void>();

  add(name: CounterName, detail = ''): void {
    const value = (this.#values.get(name) ?? 0) + 1;
    this.#values.set(name, value);
    for (const fn of this.#listeners) fn(name, value, detail);
  }

  get(name: CounterName): number {
    return this.#values.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#values].sort(([a], [b]) => a.localeCompare(b)));
  }

  onAdd(fn: (name: CounterName, value: number, detail: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
