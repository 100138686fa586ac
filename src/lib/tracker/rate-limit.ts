/** Token buckets and an abuse meter, per connection. Pure: the time is passed in. */

export class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  constructor(burst: number, perSecond: number, now: number) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts strikes in a fixed window; `strike` says whether the threshold is now exceeded. */
export class AbuseMeter {
  readonly #threshold: number;
  readonly #windowMs: number;
  #count = 0;
  #windowStart: number;

  constructor(threshold: number, windowMs: number, now: number) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
    this.#windowStart = now;
  }

  strike(now: number): boolean {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count++;
    return this.#count >= this.#threshold;
  }
}
