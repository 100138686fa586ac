import { describe, expect, it } from 'vitest';
import { downsample, niceTicks, pathData, segments, timeTicks, typicalStep } from './chart.ts';

describe('chart maths', () => {
  it('niceTicks covers the maximum with round steps from 0', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(NaN)).toEqual([0, 1]);
    expect(niceTicks(3_000_000, 4, true)).toEqual([0, 1, 2, 3].map((k) => k * 1024 * 1024));
  });

  it('timeTicks falls on round times, at most maxTicks', () => {
    const from = Date.UTC(2026, 0, 1, 10, 3);
    const to = from + 60 * 60_000;
    const ticks = timeTicks(from, to, 6);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks[0]).toBe(Date.UTC(2026, 0, 1, 10, 10));
    expect(ticks.every((t) => t % (10 * 60_000) === 0 && t >= from && t <= to)).toBe(true);
    // Local time one hour ahead of UTC: still on round local times.
    expect(timeTicks(from, to, 6, 3600_000)[0]).toBe(Date.UTC(2026, 0, 1, 10, 10));
    expect(timeTicks(to, from, 5)).toEqual([]);
    const week = timeTicks(from, from + 7 * 24 * 3600_000, 4);
    expect(week.length).toBeLessThanOrEqual(4);
    expect(week.length).toBeGreaterThan(0);
  });

  it('downsample averages buckets and keeps short series as they are', () => {
    const s = Array.from({ length: 10 }, (_, i) => ({ time: i * 10, values: [i, 2 * i] }));
    expect(downsample(s, 20)).toEqual(s);
    const d = downsample(s, 5);
    expect(d).toHaveLength(5);
    expect(d[0]).toEqual({ time: 5, values: [0.5, 1] });
    expect(d[4]).toEqual({ time: 85, values: [8.5, 17] });
  });

  it('breaks lines at gaps and builds path data', () => {
    expect(typicalStep([0, 60, 120, 500])).toBe(60);
    expect(typicalStep([0])).toBeUndefined();
    const runs = segments(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [9, 9]
      ],
      [0, 60, 120, 1000],
      180
    );
    expect(runs).toEqual([
      [
        [0, 0],
        [1, 1],
        [2, 2]
      ],
      [[9, 9]]
    ]);
    expect(pathData(runs)).toBe('M0.0 0.0 L1.0 1.0 L2.0 2.0');
  });
});
