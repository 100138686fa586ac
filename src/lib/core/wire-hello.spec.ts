import { describe, expect, it } from 'vitest';
import { WireError } from './errors.ts';
import { checkHelloStart, encodeMessage, FrameDecoder, frameMessage } from './wire.ts';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as WireError).code;
  }
}

describe('the start of a first message (docs/PROTOCOL.md §6, hello)', () => {
  const hello = encodeMessage({ type: 'hello', version: 1, peerId: 'peer-A', maxMessage: 262144 });

  it('tells another version as soon as 2 bytes have arrived, whatever the length says', () => {
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1, 2), 8))).toBe('WIRE_VERSION');
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1, 2), 60_000))).toBe('WIRE_VERSION');
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1, 0), 8))).toBe('WIRE_VERSION');
  });

  it('refuses another type from the first byte, and a length no version-1 hello has', () => {
    expect(codeOf(() => checkHelloStart(Uint8Array.of(3), 37))).toBe('WIRE_MALFORMED');
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1, 1), 7))).toBe('WIRE_MALFORMED');
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1, 1), 72))).toBe('WIRE_MALFORMED');
  });

  it('accepts every prefix of a valid hello', () => {
    for (let n = 0; n <= hello.length; n++) expect(codeOf(() => checkHelloStart(hello.subarray(0, n), hello.length))).toBeNull();
    expect(codeOf(() => checkHelloStart(new Uint8Array(0), 9999))).toBeNull();
    expect(codeOf(() => checkHelloStart(Uint8Array.of(1), 9999))).toBeNull();
  });

  it('reads the frame being received from the decoder: its length and what has arrived', () => {
    const d = new FrameDecoder();
    const framed = frameMessage(hello);
    expect(d.partial()).toBeNull();
    d.push(framed.subarray(0, 3));
    expect(d.partial()).toBeNull();
    d.push(framed.subarray(3, 6));
    expect(d.partial()).toEqual({ length: hello.length, start: hello.subarray(0, 2) });
    expect(d.push(framed.subarray(6))).toEqual([hello]);
    expect(d.partial()).toBeNull();
  });
});
