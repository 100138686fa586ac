/** Bytes per second over a sliding window, for speeds shown to people and for pipeline tuning. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #now: () => number;
  #samples: { t: number; bytes: number }[] = [];
  total = 0;

  constructor(windowMs = 5000, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  add(bytes: number): void {
    this.total += bytes;
    this.#samples.push({ t: this.#now(), bytes });
    this.#trim();
  }

  /** Bytes per second over the window (or over the time since the first sample, if shorter). */
  rate(): number {
    this.#trim();
    if (this.#samples.length === 0) return 0;
    const span = Math.max(1000, this.#now() - this.#samples[0].t);
    let sum = 0;
    for (const s of this.#samples) sum += s.bytes;
    return (sum * 1000) / span;
  }

  #trim(): void {
    const cutoff = this.#now() - this.#windowMs;
    let i = 0;
    while (i < this.#samples.length && this.#samples[i].t < cutoff) i++;
    if (i > 0) this.#samples.splice(0, i);
  }
}
