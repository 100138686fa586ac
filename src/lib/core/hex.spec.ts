import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, toHex } from './hex.ts';

describe('toHex', () => {
  it('writes lowercase, two digits per byte', () => {
    expect(toHex(new Uint8Array([]))).toBe('');
    expect(toHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff]))).toBe('00010f10abff');
  });

  it('agrees with Buffer for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
  });

  it('reads only the view it is given', () => {
    const big = new Uint8Array([1, 2, 3, 4]);
    expect(toHex(big.subarray(1, 3))).toBe('0203');
  });
});

describe('fromHex', () => {
  it('parses lowercase and uppercase', () => {
    expect(fromHex('00ff10Ab')).toEqual(new Uint8Array([0, 255, 16, 171]));
    expect(fromHex('')).toEqual(new Uint8Array([]));
  });

  it('round-trips every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(all))).toEqual(all);
  });

  it('returns null for odd length or non-hex characters', () => {
    for (const bad of ['0', 'abc', 'zz', '0x12', ' 12', '12 ', '1-', 'g0', '１２']) expect(fromHex(bad)).toBeNull();
  });
});

describe('bytesEqual', () => {
  it('compares length and content', () => {
    expect(bytesEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1]), new Uint8Array([]))).toBe(false);
  });
});
