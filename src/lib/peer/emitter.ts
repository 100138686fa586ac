/** A minimal typed event emitter: `on` returns an unsubscribe function. */
export class Emitter<Events extends Record<string, unknown[]>> {
  #handlers = new Map<keyof Events, Set<(...args: never[]) => void>>();

  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(fn as (...args: never[]) => void);
    return () => set.delete(fn as (...args: never[]) => void);
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) (fn as (...a: Events[K]) => void)(...args);
  }

  removeAll(): void {
    this.#handlers.clear();
  }
}
