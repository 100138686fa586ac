import { describe, expect, it } from 'vitest';
import { AbuseMeter, TokenBucket } from './rate-limit.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the given rate', () => {
    const b = new TokenBucket(3, 2, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(400)).toBe(false); // 0.8 tokens
    expect(b.take(500)).toBe(true); // 1.0 token
    expect(b.take(100_000)).toBe(true);
    expect([b.take(100_000), b.take(100_000), b.take(100_000)]).toEqual([true, true, false]);
  });
});

describe('AbuseMeter', () => {
  it('trips at the threshold within a window and starts over after it', () => {
    const m = new AbuseMeter(3, 1000, 0);
    expect([m.strike(0), m.strike(10), m.strike(20)]).toEqual([false, false, true]);
    expect(m.strike(1500)).toBe(false);
  });
});
