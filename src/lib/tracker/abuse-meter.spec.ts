import { describe, expect, it } from 'vitest';
import { AbuseMeter } from './abuse-meter.ts';

describe('AbuseMeter', () => {
  it('trips at the threshold within a window and starts over after it', () => {
    const m = new AbuseMeter(3, 1000, 0);
    expect([m.strike(0), m.strike(10), m.strike(20)]).toEqual([false, false, true]);
    expect(m.strike(1500)).toBe(false);
  });
});
