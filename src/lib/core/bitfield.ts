/** A fixed-size set of chunk indices, MSB first in each byte (docs/PROTOCOL.md, "have"). */
export class Bitfield {
  readonly size: number;
  readonly bytes: Uint8Array;
  #count = 0;

  constructor(size: number, bytes?: Uint8Array) {
    this.size = size;
    this.bytes = new Uint8Array(Math.ceil(size / 8));
    if (bytes) {
      this.bytes.set(bytes.subarray(0, this.bytes.length));
      // Spare bits past `size` in the last byte stay zero: the wire codec refuses them (PROTOCOL.md, "have").
      if (size % 8 !== 0 && this.bytes.length > 0) this.bytes[this.bytes.length - 1] &= 0xff00 >> (size % 8);
      for (let i = 0; i < size; i++) if (this.get(i)) this.#count++;
    }
  }

  static full(size: number): Bitfield {
    const b = new Bitfield(size);
    for (let i = 0; i < size; i++) b.set(i);
    return b;
  }

  get count(): number {
    return this.#count;
  }

  get complete(): boolean {
    return this.#count === this.size;
  }

  get(i: number): boolean {
    return i >= 0 && i < this.size && (this.bytes[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  /** Sets bit i; returns true if it was not set before. */
  set(i: number): boolean {
    if (i < 0 || i >= this.size || this.get(i)) return false;
    this.bytes[i >> 3] |= 0x80 >> (i & 7);
    this.#count++;
    return true;
  }

  clear(i: number): void {
    if (!this.get(i)) return;
    this.bytes[i >> 3] &= ~(0x80 >> (i & 7));
    this.#count--;
  }

  indices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.get(i)) out.push(i);
    return out;
  }
}
