import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.ts';

const MiB = 1024 * 1024;

describe('RateMeter', () => {
  it('measures a slow stream of whole chunks at its true rate (one 1 MiB chunk every 5 s is 0.2 MiB/s)', () => {
    let t = 0;
    const m = new RateMeter(5000, () => t);
    for (let i = 0; i < 10; i++) {
      t += 5000;
      m.add(MiB);
      // Sampled just after a chunk and half-way to the next: both must read 0.2 MiB/s.
      expect(m.rate()).toBeCloseTo(0.2 * MiB, 0);
      t += 2500;
      expect(m.rate()).toBeCloseTo(0.2 * MiB, 0);
      t -= 2500;
    }
  });

  it('measures a fast stream at its rate, and a young meter over its age (at least 1 s)', () => {
    let t = 0;
    const m = new RateMeter(5000, () => t);
    t = 2000;
    m.add(4 * MiB);
    expect(m.rate()).toBeCloseTo(2 * MiB, 0);
    for (let i = 0; i < 40; i++) {
      t += 250;
      m.add(MiB);
    }
    expect(m.rate()).toBeCloseTo(4 * MiB, 0);
    t += 5000;
    expect(m.rate()).toBe(0);
    expect(m.total).toBe(44 * MiB);
  });
});
