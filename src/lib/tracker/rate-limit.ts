/**
 * The abuse meter, per connection. Pure: the time is passed in. (Its token buckets are the
 * project's one bucket, core/token-bucket.ts.)
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
