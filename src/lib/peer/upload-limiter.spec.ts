import { describe, expect, it } from 'vitest';
import { UploadLimiter } from './upload-limiter.ts';

describe('UploadLimiter', () => {
  it('lets everything through at once when unlimited', async () => {
    const l = new UploadLimiter(0);
    let done = 0;
    await Promise.all(Array.from({ length: 100 }, () => l.take(1 << 20).then(() => done++)));
    expect(done).toBe(100);
  });

  it('paces sends to the rate on a fake clock', async () => {
    let now = 0;
    const l = new UploadLimiter(1000, () => now);
    const order: number[] = [];
    // The bucket starts empty: nothing goes until time passes.
    const sends = [0, 1, 2].map((i) => l.take(500).then(() => order.push(i)));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    now = 500;
    await new Promise((r) => setTimeout(r, 120));
    expect(order).toEqual([0]);
    now = 1500;
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
