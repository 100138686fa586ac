import { TokenBucket } from '../core/token-bucket.ts';

export interface UploadLimiterOptions {
  now?: () => number;
  /** The bucket's size for a rate (default: one second of it). */
  burst?: (bytesPerSecond: number) => number;
  /** Whether the bucket starts full (default: empty, so nothing bursts out at the start). */
  startFull?: boolean;
}

/**
 * One shared upload budget for all connections of a peer: a token bucket (core/token-bucket.ts)
 * refilled at `bytesPerSecond`. 0 means unlimited; the rate may change at any time.
 *
 * Two ways to spend it: `take(bytes)` waits until the block may go, then takes it (the engine,
 * before each block it serves); `charge(bytes)` counts bytes already sent, and `take(0)` waits
 * until that debt is paid (the Node peer's wires, which count every message they send).
 */
export class UploadLimiter {
  readonly #bucket: TokenBucket;
  readonly #burstOf: (bytesPerSecond: number) => number;
  #queue: Promise<void> = Promise.resolve();

  constructor(bytesPerSecond = 0, opts: UploadLimiterOptions = {}) {
    this.#burstOf = opts.burst ?? ((rate) => rate);
    const rate = normalRate(bytesPerSecond);
    const burst = this.#burstOf(rate);
    this.#bucket = new TokenBucket({ rate, burst, now: opts.now ?? Date.now, initial: opts.startFull ? burst : 0 });
  }

  get rate(): number {
    return this.#bucket.rate;
  }

  setRate(bytesPerSecond: number): void {
    const rate = normalRate(bytesPerSecond);
    this.#bucket.setRate(rate, this.#burstOf(rate));
  }

  /** Resolves when `bytes` may be sent, and takes them. Callers are served in order. */
  take(bytes: number): Promise<void> {
    if (this.rate === 0) return Promise.resolve();
    const turn = this.#queue.then(() => this.#wait(bytes));
    this.#queue = turn;
    return turn;
  }

  /** Counts bytes already sent against the budget; the balance may go below zero. */
  charge(bytes: number): void {
    if (this.rate > 0) this.#bucket.charge(bytes);
  }

  /** Milliseconds until the balance is back at zero (0 if it is now, or if unlimited). */
  delay(): number {
    return this.rate === 0 ? 0 : this.#bucket.msUntil(0);
  }

  async #wait(bytes: number): Promise<void> {
    for (;;) {
      if (this.rate === 0) return;
      // A block larger than the bucket goes once the bucket is full.
      const need = Math.min(bytes, this.#bucket.burst);
      const ms = this.#bucket.msUntil(need);
      if (ms === 0) {
        this.#bucket.charge(need);
        return;
      }
      // Re-check at least every 50 ms, so a changed rate takes effect soon.
      await new Promise((r) => setTimeout(r, Math.min(50, Math.max(5, ms))));
    }
  }
}

function normalRate(bytesPerSecond: number): number {
  return Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? Math.floor(bytesPerSecond) : 0;
}
