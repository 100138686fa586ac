import { describe, expect, it } from 'vitest';
import { Bitfield } from './bitfield.ts';

describe('Bitfield', () => {
  it('starts empty with ceil(size / 8) bytes', () => {
    for (const size of [0, 1, 7, 8, 9, 16, 17]) {
      const b = new Bitfield(size);
      expect(b.size).toBe(size);
      expect(b.bytes.length).toBe(Math.ceil(size / 8));
      expect(b.count).toBe(0);
      expect(b.complete).toBe(size === 0);
      expect(b.indices()).toEqual([]);
    }
  });

  it('stores bits most significant first', () => {
    const b = new Bitfield(17);
    b.set(0);
    expect([...b.bytes]).toEqual([0x80, 0, 0]);
    b.set(7);
    expect([...b.bytes]).toEqual([0x81, 0, 0]);
    b.set(8);
    b.set(16);
    expect([...b.bytes]).toEqual([0x81, 0x80, 0x80]);
    b.set(10);
    expect([...b.bytes]).toEqual([0x81, 0xa0, 0x80]);
  });

  it('sets, gets and clears, keeping count', () => {
    const b = new Bitfield(10);
    expect(b.set(3)).toBe(true);
    expect(b.set(3)).toBe(false);
    expect(b.get(3)).toBe(true);
    expect(b.get(2)).toBe(false);
    expect(b.count).toBe(1);
    b.set(9);
    expect(b.indices()).toEqual([3, 9]);
    expect(b.count).toBe(2);
    b.clear(3);
    b.clear(3);
    b.clear(4);
    expect(b.count).toBe(1);
    expect(b.get(3)).toBe(false);
    expect(b.indices()).toEqual([9]);
  });

  it('ignores indices out of range', () => {
    const b = new Bitfield(9);
    for (const i of [-1, 9, 10, 100]) {
      expect(b.set(i)).toBe(false);
      expect(b.get(i)).toBe(false);
      b.clear(i);
    }
    expect(b.count).toBe(0);
    expect([...b.bytes]).toEqual([0, 0]);
  });

  it('knows when it is complete', () => {
    const b = new Bitfield(3);
    b.set(0);
    b.set(1);
    expect(b.complete).toBe(false);
    b.set(2);
    expect(b.complete).toBe(true);
    b.clear(1);
    expect(b.complete).toBe(false);
  });

  it('builds a full set with zero spare bits', () => {
    expect([...Bitfield.full(0).bytes]).toEqual([]);
    expect(Bitfield.full(0).complete).toBe(true);
    expect([...Bitfield.full(1).bytes]).toEqual([0x80]);
    expect([...Bitfield.full(8).bytes]).toEqual([0xff]);
    expect([...Bitfield.full(9).bytes]).toEqual([0xff, 0x80]);
    expect([...Bitfield.full(15).bytes]).toEqual([0xff, 0xfe]);
    const f = Bitfield.full(17);
    expect(f.count).toBe(17);
    expect(f.complete).toBe(true);
  });

  it('reads existing bytes and counts them', () => {
    const b = new Bitfield(12, new Uint8Array([0b1010_0000, 0b0001_0000]));
    expect(b.indices()).toEqual([0, 2, 11]);
    expect(b.count).toBe(3);
  });

  it('copies the bytes it is given', () => {
    const src = new Uint8Array([0x80]);
    const b = new Bitfield(8, src);
    src[0] = 0xff;
    expect(b.count).toBe(1);
    expect([...b.bytes]).toEqual([0x80]);
  });

  it('accepts short input and ignores bytes beyond its size', () => {
    const short = new Bitfield(16, new Uint8Array([0xff]));
    expect(short.count).toBe(8);
    expect([...short.bytes]).toEqual([0xff, 0]);
    const long = new Bitfield(8, new Uint8Array([0x01, 0xff, 0xff]));
    expect(long.count).toBe(1);
    expect([...long.bytes]).toEqual([0x01]);
  });

  it('drops spare bits in the last byte of its input, so its bytes are always a valid have bitfield', () => {
    const b = new Bitfield(10, new Uint8Array([0xff, 0xff]));
    expect(b.count).toBe(10);
    expect(b.complete).toBe(true);
    expect([...b.bytes]).toEqual([0xff, 0xc0]);
  });

  it('agrees with a plain set of indices under random operations', () => {
    let seed = 99;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const size = 37;
    const b = new Bitfield(size);
    const model = new Set<number>();
    for (let k = 0; k < 2000; k++) {
      const i = rand(size + 4) - 2;
      if (rand(3) === 0) {
        b.clear(i);
        model.delete(i);
      } else {
        expect(b.set(i)).toBe(i >= 0 && i < size && !model.has(i));
        if (i >= 0 && i < size) model.add(i);
      }
      expect(b.count).toBe(model.size);
    }
    expect(b.indices()).toEqual([...model].sort((x, y) => x - y));
    expect(new Bitfield(size, b.bytes).indices()).toEqual(b.indices());
  });
});
