/**
 * A token bucket in bytes per second, shared by every connection of the peer: the upload rate
 * limit. Sends take tokens (the balance may go below zero); `wait()` resolves once it is back
 * above zero. Bursts up to a quarter of a second of traffic, and at least one 64 KiB block.
 */
export class TokenBucket {
  readonly rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(bytesPerSecond: number, now: () => number = Date.now) {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive');
    this.rate = bytesPerSecond;
    this.#burst = Math.max(64 * 1024, bytesPerSecond / 4);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#last = now();
  }

  take(bytes: number): void {
    this.#refill();
    this.#tokens -= bytes;
  }

  /** Milliseconds until the balance is back to zero (0 if it is now). */
  delay(): number {
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.rate) * 1000);
  }

  async wait(): Promise<void> {
    for (let ms = this.delay(); ms > 0; ms = this.delay()) await new Promise((r) => setTimeout(r, ms));
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
  }
}
