/**
 * Benchmark results: every figure Shoal produces is printed beside a reference measured in the
 * same run on the same machine, and compared as a ratio (the machine is shared and noisy, so
 * only same-run ratios mean much).
 */

export interface Figure {
  value: number;
  /** Unit shown after the value: "MiB/s", "ms", "MiB", "x", "peers", ... */
  unit: string;
}

export interface BenchRow {
  /** Which benchmark produced the row (its file name without `.bench.ts`). */
  bench: string;
  /** What was measured, for people: "browser → browser, WebRTC, 256 MiB". */
  name: string;
  /** Shoal's figure, or null when the row did not run. */
  shoal: Figure | null;
  /** What Shoal is compared with, measured in the same run. */
  reference: Figure | null;
  /** What the reference is: "raw simple-peer channel, same bytes, 64 KiB messages". */
  referenceLabel: string;
  /** Shoal relative to the reference; see `ratioMeaning`. */
  ratio: number | null;
  /** How to read the ratio: "1 = as fast as raw", "ideal 4". */
  ratioMeaning: string;
  /** Anything a reader needs to judge the figure (sizes, repetitions, caveats). */
  note?: string;
  /** Set when the row could not run: why. No figure is ever made up. */
  notRun?: string;
  /** Raw measurements, for the JSON file. */
  details?: Record<string, unknown>;
}

export function notRun(bench: string, name: string, referenceLabel: string, reason: string): BenchRow {
  return { bench, name, shoal: null, reference: null, referenceLabel, ratio: null, ratioMeaning: '', notRun: reason };
}

/** A throughput row: ratio = Shoal / reference (1 = as fast as the reference). */
export function throughputRow(
  bench: string,
  name: string,
  shoalMiBps: number,
  referenceMiBps: number,
  referenceLabel: string,
  extra: Partial<BenchRow> = {}
): BenchRow {
  return {
    bench,
    name,
    shoal: { value: shoalMiBps, unit: 'MiB/s' },
    reference: { value: referenceMiBps, unit: 'MiB/s' },
    referenceLabel,
    ratio: referenceMiBps > 0 ? shoalMiBps / referenceMiBps : null,
    ratioMeaning: 'Shoal ÷ reference; 1 = as fast as the reference',
    ...extra
  };
}
