/**
 * Holds messages that arrive before anyone listens, so a Wire never drops the first ones (the
 * remote's hello can arrive before the session that reads it exists).
 */
export class MessageInbox {
  #listener: ((bytes: Uint8Array) => void) | null = null;
  #early: Uint8Array[] = [];

  deliver(bytes: Uint8Array): void {
    if (this.#listener) this.#listener(bytes);
    else this.#early.push(bytes);
  }

  listen(fn: (bytes: Uint8Array) => void): void {
    this.#listener = fn;
    const early = this.#early;
    this.#early = [];
    for (const m of early) fn(m);
  }
}
