/**
 * The maths of the statistics charts, apart from drawing: axis ticks, downsampling, and the SVG
 * path of a line that breaks where data is missing. Pure functions (chart.spec.ts tests them).
 */

/** Round numbers for a y axis from 0: ticks 0, step, 2·step … ≥ max, with step 1, 2 or 5 × 10^k (or 2^k when `binary`). */
export function niceTicks(max: number, count = 4, binary = false): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // Byte axes step by powers of two (256 KiB, 512 KiB, 1 MiB …) so binary units read round.
  const step = binary ? 2 ** Math.ceil(Math.log2(raw)) : ([1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  // Whole-number data never needs a fractional step.
  const s = step < 1 && Number.isInteger(max) ? 1 : step;
  const ticks: number[] = [];
  for (let v = 0; v < max + s / 2 && ticks.length < 50; v += s) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks.length * s).toPrecision(12)));
  return ticks;
}

const MINUTE = 60_000;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880].map((m) => m * MINUTE);

/**
 * Time ticks inside [from, to], at most `maxTicks`, on round local clock times (every 5 min,
 * every hour, at midnight …). `tzOffsetMs` is the local offset (Date#getTimezoneOffset × −60,000).
 */
export function timeTicks(from: number, to: number, maxTicks: number, tzOffsetMs = 0): number[] {
  if (!(to > from) || maxTicks < 1) return [];
  const step = TIME_STEPS.find((s) => (to - from) / s <= maxTicks) ?? Math.ceil((to - from) / maxTicks / (1440 * MINUTE)) * 1440 * MINUTE;
  const first = Math.ceil((from + tzOffsetMs) / step) * step - tzOffsetMs;
  const out: number[] = [];
  for (let t = first; t <= to; t += step) out.push(t);
  return out;
}

export interface ChartSeries {
  label: string;
  color: string;
  /** SVG stroke-dasharray, so series differ by more than colour. */
  dash?: string;
}

export interface Sample {
  time: number;
  values: number[];
}

/**
 * At most `maxPoints` samples: consecutive samples are merged into buckets of equal count, each
 * the mean of its times and of each value (so per-minute counts stay per minute).
 */
export function downsample(samples: readonly Sample[], maxPoints: number): Sample[] {
  if (samples.length <= maxPoints || maxPoints < 1) return samples.slice();
  const size = Math.ceil(samples.length / maxPoints);
  const out: Sample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const bucket = samples.slice(i, i + size);
    const n = bucket.length;
    const values = bucket[0].values.map((_, k) => bucket.reduce((sum, s) => sum + s.values[k], 0) / n);
    out.push({ time: bucket.reduce((sum, s) => sum + s.time, 0) / n, values });
  }
  return out;
}

/** The usual spacing of samples (the median gap), or undefined with fewer than two. */
export function typicalStep(times: readonly number[]): number | undefined {
  if (times.length < 2) return undefined;
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

/**
 * Runs of points to join with a line: a gap longer than `maxGap` (the tracker was down) starts a
 * new run. Each point is [x, y] in pixels.
 */
export function segments(points: readonly [number, number][], times: readonly number[], maxGap: number): [number, number][][] {
  const out: [number, number][][] = [];
  let run: [number, number][] = [];
  points.forEach((p, i) => {
    if (i > 0 && times[i] - times[i - 1] > maxGap) {
      out.push(run);
      run = [];
    }
    run.push(p);
  });
  if (run.length > 0) out.push(run);
  return out;
}

/** SVG path data for runs of points (a run of one point is drawn by the caller as a dot). */
export function pathData(runs: readonly [number, number][][]): string {
  return runs
    .filter((r) => r.length > 1)
    .map((r) => r.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`).join(' '))
    .join(' ');
}
