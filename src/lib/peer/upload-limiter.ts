/**
 * One shared upload budget for all connections of a peer: a token bucket refilled at
 * `bytesPerSecond`, holding at most one second of tokens. 0 means unlimited.
 */
export class UploadLimiter {
  #rate = 0;
  #tokens = 0;
  #last: number;
  readonly #now: () => number;
  #queue: Promise<void> = Promise.resolve();

  constructor(bytesPerSecond = 0, now: () => number = Date.now) {
    this.#now = now;
    this.#last = now();
    this.setRate(bytesPerSecond);
  }

  get rate(): number {
    return this.#rate;
  }

  setRate(bytesPerSecond: number): void {
    this.#rate = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? Math.floor(bytesPerSecond) : 0;
    this.#tokens = Math.min(this.#tokens, this.#rate);
  }

  /** Resolves when `bytes` may be sent. Callers are served in order. */
  take(bytes: number): Promise<void> {
    if (this.#rate === 0) return Promise.resolve();
    const turn = this.#queue.then(() => this.#wait(bytes));
    this.#queue = turn;
    return turn;
  }

  async #wait(bytes: number): Promise<void> {
    for (;;) {
      if (this.#rate === 0) return;
      const now = this.#now();
      this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
      this.#last = now;
      // A block larger than the bucket goes once the bucket is full.
      const need = Math.min(bytes, this.#rate);
      if (this.#tokens >= need) {
        this.#tokens -= need;
        return;
      }
      // Re-check at least every 50 ms, so a changed rate takes effect soon.
      await new Promise((r) => setTimeout(r, Math.min(50, Math.max(5, ((need - this.#tokens) * 1000) / this.#rate))));
    }
  }
}
