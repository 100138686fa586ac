import { describe, expect, it } from 'vitest';
import { ChunkTrust, racyWindowMs } from './chunk-trust.ts';
import { RACY_WINDOW_MS, RACY_WINDOW_WHOLE_SECONDS_MS, SPOT_CHECK_EVERY } from './constants.ts';

const HASHED_AT = 1_800_000_000_000;
const old = { size: 10 * 1024 * 1024, mtimeMs: HASHED_AT - 3_600_000.25 };

describe('ChunkTrust', () => {
  it('trusts reads while size and mtime are those hashed, hashing the first and every SPOT_CHECK_EVERY-th', () => {
    const trust = new ChunkTrust(old, HASHED_AT);
    expect(trust.racy).toBe(false);
    const checks = Array.from({ length: 2 * SPOT_CHECK_EVERY + 1 }, () => trust.check({ ...old }));
    const verified = checks.flatMap((c, i) => (c === 'verify' ? [i] : []));
    expect(verified).toEqual([0, SPOT_CHECK_EVERY, 2 * SPOT_CHECK_EVERY]);
    expect(checks.filter((c) => c === 'trust')).toHaveLength(2 * SPOT_CHECK_EVERY - 2);
  });

  it('calls a file changed when its size or its mtime moved, whatever it said before', () => {
    const trust = new ChunkTrust(old, HASHED_AT);
    expect(trust.check(old)).toBe('verify');
    expect(trust.check(old)).toBe('trust');
    expect(trust.check({ ...old, size: old.size - 1 })).toBe('changed');
    expect(trust.check({ ...old, mtimeMs: old.mtimeMs + 0.001 })).toBe('changed');
    expect(trust.check({ ...old, mtimeMs: old.mtimeMs - 1000 })).toBe('changed');
    expect(trust.check(old)).toBe('trust');
  });

  it('hashes every read of a file modified too close to its hashing (racy)', () => {
    const fine = { size: 5, mtimeMs: HASHED_AT - RACY_WINDOW_MS + 0.5 };
    const racy = new ChunkTrust(fine, HASHED_AT);
    expect(racy.racy).toBe(true);
    expect(Array.from({ length: 5 }, () => racy.check(fine))).toEqual(['verify', 'verify', 'verify', 'verify', 'verify']);
    expect(new ChunkTrust({ size: 5, mtimeMs: HASHED_AT + 10 }, HASHED_AT).racy).toBe(true);
    expect(new ChunkTrust({ size: 5, mtimeMs: HASHED_AT - RACY_WINDOW_MS - 0.5 }, HASHED_AT).racy).toBe(false);
  });

  it('gives filesystems with whole-second mtimes a wider window', () => {
    expect(racyWindowMs(HASHED_AT - 1000)).toBe(RACY_WINDOW_WHOLE_SECONDS_MS);
    expect(racyWindowMs(HASHED_AT - 1000.5)).toBe(RACY_WINDOW_MS);
    expect(new ChunkTrust({ size: 1, mtimeMs: HASHED_AT - 1000 }, HASHED_AT).racy).toBe(true);
    expect(new ChunkTrust({ size: 1, mtimeMs: HASHED_AT - 3000 }, HASHED_AT).racy).toBe(false);
  });
});
