import { afterEach, describe, expect, it, vi } from 'vitest';
import { UploadLimiter } from './upload-limiter.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('UploadLimiter', () => {
  it('lets everything through at once when unlimited', async () => {
    const l = new UploadLimiter(0);
    let done = 0;
    await Promise.all(Array.from({ length: 100 }, () => l.take(1 << 20).then(() => done++)));
    expect(done).toBe(100);
  });

  it('paces sends to the rate on a fake clock', async () => {
    // Fake timers: the limiter's clock (Date.now) and its re-check timers move only when told.
    vi.useFakeTimers();
    const l = new UploadLimiter(1000, () => Date.now());
    const order: number[] = [];
    // The bucket starts empty: nothing goes until time passes; then 500 bytes every 0.5 s.
    const sends = [0, 1, 2].map((i) => l.take(500).then(() => order.push(i)));
    await vi.advanceTimersByTimeAsync(499);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0]);
    await vi.advanceTimersByTimeAsync(499);
    expect(order).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(500);
    await Promise.all(sends);
    expect(order).toEqual([0, 1, 2]);
  });

  it('can be lifted while callers wait', async () => {
    const l = new UploadLimiter(1, () => 0);
    const p = l.take(1000);
    l.setRate(0);
    await expect(p).resolves.toBeUndefined();
  });
});
