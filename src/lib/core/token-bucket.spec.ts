import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the given rate (refusing when empty)', () => {
    let now = 0;
    const b = new TokenBucket({ rate: 2, burst: 3, now: () => now });
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, true, false]);
    now = 400;
    expect(b.tryTake()).toBe(false); // 0.8 tokens
    now = 500;
    expect(b.tryTake()).toBe(true); // 1.0 token
    now = 100_000;
    expect(b.tryTake()).toBe(true);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
  });

  it('refills nothing when the clock runs backwards', () => {
    let now = 1000;
    const b = new TokenBucket({ rate: 1, burst: 1, now: () => now });
    expect(b.tryTake()).toBe(true);
    now = 0;
    expect(b.tryTake()).toBe(false);
    now = 999;
    expect(b.tryTake()).toBe(false);
    now = 1000;
    expect(b.tryTake()).toBe(true);
  });

  it('charges below zero and says how long until a balance is back', () => {
    let now = 0;
    const b = new TokenBucket({ rate: 1000, burst: 500, now: () => now });
    b.charge(500);
    expect(b.msUntil(0)).toBe(0);
    b.charge(1500);
    expect(b.tokens).toBe(-1500);
    expect(b.msUntil(0)).toBe(1500);
    expect(b.msUntil(100)).toBe(1600);
    now = 1000;
    expect(b.msUntil(0)).toBe(500);
    expect(b.msUntil(501)).toBe(Infinity); // more than the bucket holds
    now = 2000;
    expect(b.tokens).toBe(500); // never above the burst
  });

  it('starts with what it is told, and keeps what was earned when the rate changes', () => {
    let now = 0;
    const b = new TokenBucket({ rate: 100, burst: 100, now: () => now, initial: 0 });
    expect(b.tryTake()).toBe(false);
    now = 500;
    b.setRate(1000, 20); // 50 earned at the old rate, cut to the new size
    expect(b.tokens).toBe(20);
    now = 510;
    expect(b.tokens).toBe(20);
    b.setRate(0, 20);
    b.charge(20);
    now = 10_000;
    expect(b.tokens).toBe(0);
    expect(b.msUntil(1)).toBe(Infinity);
  });

  it('refuses a negative or non-finite rate or size', () => {
    const now = () => 0;
    expect(() => new TokenBucket({ rate: -1, burst: 1, now })).toThrow(RangeError);
    expect(() => new TokenBucket({ rate: 1, burst: Number.NaN, now })).toThrow(RangeError);
    expect(() => new TokenBucket({ rate: 1, burst: 1, now }).setRate(Infinity, 1)).toThrow(RangeError);
  });
});
