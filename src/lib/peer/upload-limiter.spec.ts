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
    const l = new UploadLimiter(1000, { now: () => Date.now() });
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
    const l = new UploadLimiter(1, { now: () => 0 });
    const p = l.take(1000);
    l.setRate(0);
    await expect(p).resolves.toBeUndefined();
  });

  it('lets take(0) wait until what was charged is paid back', async () => {
    vi.useFakeTimers();
    const l = new UploadLimiter(1000, { now: () => Date.now(), startFull: true });
    l.charge(1500); // 1000 in the bucket, 500 owed
    expect(l.delay()).toBe(500);
    let paid = false;
    const p = l.take(0).then(() => (paid = true));
    await vi.advanceTimersByTimeAsync(450);
    expect(paid).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    await p;
    expect(paid).toBe(true);
    expect(l.delay()).toBe(0);
  });

  it('charges nothing while unlimited', () => {
    const l = new UploadLimiter(0, { now: () => 0 });
    l.charge(1 << 30);
    expect(l.delay()).toBe(0);
    l.setRate(1000);
    expect(l.delay()).toBe(0);
  });
});
