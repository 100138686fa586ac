type Handler = (...args: never[]) => void;

/** A minimal typed event emitter: `on` returns an unsubscribe function. */
export class Emitter<Events extends Record<string, unknown[]>> {
  #handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    const h = fn as unknown as Handler;
    set.add(h);
    return () => set.delete(h);
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) (fn as unknown as (...a: Events[K]) => void)(...args);
  }

  removeAll(): void {
    this.#handlers.clear();
  }
}
