/**
 * The abuse meter, one per connection (server/socket-api.ts): refused messages count as strikes.
 * Pure: the time is passed in. The per-event rate limits themselves are the project's one token
 * bucket, core/token-bucket.ts.
 */

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
