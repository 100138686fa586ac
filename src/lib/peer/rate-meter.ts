/**
 * Bytes per second over a sliding window, for speeds shown to people, for pipeline tuning and for
 * swarm accounting.
 *
 * The rate is the bytes added within the last `windowMs` divided by the window (or by the
 * meter's age while it is younger than the window, at least one second). It is never divided by
 * the time since the first sample inside the window: samples are whole chunks, so at a slow
 * rate (one 1 MiB chunk every 5 s) that span is near zero and the rate came out several times
 * too high — the swarm experiment's downloads then summed to about twice its uploads.
 */
export class RateMeter {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #created: number;
  #samples: { t: number; bytes: number }[] = [];
  total = 0;

  constructor(windowMs = 5000, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#created = now();
  }

  add(bytes: number): void {
    this.total += bytes;
    this.#samples.push({ t: this.#now(), bytes });
    this.#trim();
  }

  /** Bytes per second over the window (or over the meter's age, if shorter, and at least 1 s). */
  rate(): number {
    this.#trim();
    if (this.#samples.length === 0) return 0;
    const span = Math.min(this.#windowMs, Math.max(1000, this.#now() - this.#created));
    let sum = 0;
    for (const s of this.#samples) sum += s.bytes;
    return (sum * 1000) / span;
  }

  #trim(): void {
    const cutoff = this.#now() - this.#windowMs;
    let i = 0;
    while (i < this.#samples.length && this.#samples[i].t <= cutoff) i++;
    if (i > 0) this.#samples.splice(0, i);
  }
}
