/**
 * A token bucket: refilled at `rate` tokens a second, holding at most `burst`. The project's one
 * rate-limit mechanism, used three ways:
 * - the tracker refuses a message when `tryTake` finds no token (server/socket-api.ts);
 * - the peer's upload limiter waits `msUntil(n)`, then takes the block (peer/upload-limiter.ts);
 * - the Node peer `charge`s what a wire sent (the balance may go below zero) and waits for the
 *   balance to be back at zero before the next block (cli/managed-wire.ts).
 * Pure: the clock is passed in, and nothing here sleeps.
 */
export interface TokenBucketOptions {
  /** Tokens per second; 0 refills nothing. */
  rate: number;
  /** The most tokens the bucket holds. */
  burst: number;
  /** Milliseconds, monotonic enough; time that runs backwards refills nothing. */
  now: () => number;
  /** Tokens at the start; a full bucket unless told. */
  initial?: number;
}

export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #at: number;
  readonly #now: () => number;

  constructor(opts: TokenBucketOptions) {
    this.#rate = checked('rate', opts.rate);
    this.#burst = checked('burst', opts.burst);
    this.#now = opts.now;
    this.#tokens = Math.min(this.#burst, opts.initial ?? this.#burst);
    this.#at = this.#now();
  }

  get rate(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** The balance now (below zero after a `charge` beyond it). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Changes the rate and the size from now on; what was earned so far at the old rate is kept, up to the new size. */
  setRate(rate: number, burst: number): void {
    this.#refill();
    this.#rate = checked('rate', rate);
    this.#burst = checked('burst', burst);
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** Takes `n` tokens if there are that many; otherwise takes nothing and says so. */
  tryTake(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Takes `n` tokens whatever the balance: for what was already sent. */
  charge(n: number): void {
    this.#refill();
    this.#tokens -= n;
  }

  /** Milliseconds until the balance is at least `n`: 0 if it is now, Infinity if it never will be. */
  msUntil(n: number): number {
    this.#refill();
    if (this.#tokens >= n) return 0;
    if (this.#rate === 0 || n > this.#burst) return Infinity;
    return Math.ceil(((n - this.#tokens) / this.#rate) * 1000);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }
}

function checked(what: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`token bucket: ${what} must be a finite number >= 0, not ${value}`);
  return value;
}
