import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { BLOCK_SIZE, MAX_CHUNKS, MAX_MESSAGE_SIZE, MAX_PEER_ID_BYTES, PROTOCOL_VERSION } from './constants.ts';
import { WireError } from './errors.ts';
import { decodeMessage, encodeMessage, FrameDecoder, frameMessage, MessageType, RejectReason, WHOLE_FILE, type WireMessage } from './wire.ts';

const ID = createHash('sha256').update('a file').digest('hex');
const ID_BYTES = [...Buffer.from(ID, 'hex')];
const WIRE_CODES = new Set(['WIRE_MALFORMED', 'WIRE_TOO_LARGE', 'WIRE_UNKNOWN_TYPE', 'WIRE_VERSION']);

/** Deterministic PRNG (mulberry32) so that a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pattern = (n: number, k = 1) => Uint8Array.from({ length: n }, (_, i) => (i * k + 7) & 0xff);

/** Runs fn and returns the code of the WireError it throws; fails on anything else. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) {
      expect(WIRE_CODES.has(e.code)).toBe(true);
      return e.code;
    }
    throw new Error(`Expected a WireError, got ${String(e)}`);
  }
  throw new Error('Expected a WireError, nothing was thrown');
}

const bytes = (...parts: Array<number | number[] | Uint8Array>) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...p])));
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
/** The message with its byte fields as plain Uint8Array copies, so that toEqual compares content only. */
function plain(m: WireMessage): WireMessage {
  if (m.type === 'have') return { ...m, bitfield: new Uint8Array(m.bitfield) };
  if (m.type === 'data') return { ...m, bytes: new Uint8Array(m.bytes) };
  return m;
}

/** One or more valid messages of every type, including the limits. */
const samples: WireMessage[] = [
  { type: 'hello', version: PROTOCOL_VERSION, peerId: 'peer-A', maxMessage: 262144 },
  { type: 'hello', version: PROTOCOL_VERSION, peerId: 'ü日本🐟', maxMessage: 0 },
  { type: 'hello', version: PROTOCOL_VERSION, peerId: 'p'.repeat(MAX_PEER_ID_BYTES), maxMessage: 0xffffffff },
  { type: 'hello', version: PROTOCOL_VERSION, peerId: '\ufeffx', maxMessage: 1 },
  { type: 'have', id: ID, count: 0, bitfield: new Uint8Array(0) },
  { type: 'have', id: ID, count: 1, bitfield: new Uint8Array([0x80]) },
  { type: 'have', id: ID, count: 8, bitfield: new Uint8Array([0xa5]) },
  { type: 'have', id: ID, count: 9, bitfield: new Uint8Array([0xff, 0x80]) },
  { type: 'have', id: ID, count: 13, bitfield: new Uint8Array([0x00, 0x08]) },
  { type: 'have', id: ID, count: MAX_CHUNKS, bitfield: new Uint8Array(MAX_CHUNKS / 8).fill(0xff) },
  { type: 'request', id: ID, chunk: 0 },
  { type: 'request', id: ID, chunk: 123456 },
  { type: 'request', id: ID, chunk: 0xffffffff },
  { type: 'cancel', id: ID, chunk: 7 },
  { type: 'data', id: ID, chunk: 3, offset: 65536, bytes: pattern(100) },
  { type: 'data', id: ID, chunk: 0, offset: 0, bytes: new Uint8Array(0) },
  { type: 'data', id: ID, chunk: 1, offset: 0xffffffff, bytes: new Uint8Array([42]) },
  { type: 'data', id: ID, chunk: 2, offset: 2 * BLOCK_SIZE, bytes: pattern(BLOCK_SIZE, 3) },
  ...Object.values(RejectReason).map((reason, i): WireMessage => ({ type: 'reject', id: ID, chunk: i === 0 ? WHOLE_FILE : i, reason }))
];

describe('message layouts (docs/PROTOCOL.md)', () => {
  it('uses the documented type codes', () => {
    expect(MessageType).toEqual({ hello: 1, have: 2, request: 3, data: 4, cancel: 5, reject: 6 });
    expect(RejectReason).toEqual({ unknownContent: 1, missingChunk: 2, busy: 3, badRequest: 4, storageError: 5 });
    expect(WHOLE_FILE).toBe(0xffffffff);
  });

  it('hello: type, version, u32 BE maxMessage, id length, UTF-8 id', () => {
    const b = encodeMessage({ type: 'hello', version: 1, peerId: 'ab', maxMessage: 0x00040000 });
    expect(hex(b)).toBe('01' + '01' + '00040000' + '02' + '6162');
  });

  it('have: type, id, u32 BE count, bitfield MSB first', () => {
    const b = encodeMessage({ type: 'have', id: ID, count: 9, bitfield: new Uint8Array([0xff, 0x80]) });
    expect(hex(b)).toBe('02' + ID + '00000009' + 'ff80');
  });

  it('request, cancel: type, id, u32 BE chunk', () => {
    expect(hex(encodeMessage({ type: 'request', id: ID, chunk: 0x01020304 }))).toBe('03' + ID + '01020304');
    expect(hex(encodeMessage({ type: 'cancel', id: ID, chunk: 42 }))).toBe('05' + ID + '0000002a');
  });

  it('data: type, id, u32 BE chunk, u32 BE offset, payload', () => {
    const b = encodeMessage({ type: 'data', id: ID, chunk: 5, offset: 0x10000, bytes: new Uint8Array([9, 8, 7]) });
    expect(hex(b)).toBe('04' + ID + '00000005' + '00010000' + '090807');
  });

  it('reject: type, id, u32 BE chunk, reason byte', () => {
    const b = encodeMessage({ type: 'reject', id: ID, chunk: WHOLE_FILE, reason: RejectReason.unknownContent });
    expect(hex(b)).toBe('06' + ID + 'ffffffff' + '01');
  });
});

describe('the example messages of docs/PROTOCOL.md §6', () => {
  // The content id of the 12-byte file "hello shoal\n" (PROTOCOL.md §4, checked in manifest.spec.ts).
  const id = '98b659bc84afc041139a29f516db93c95dd611a078d479d8aefff721811da6a8';
  const content = new TextEncoder().encode('hello shoal\n');
  const examples: Array<[WireMessage, string]> = [
    [{ type: 'hello', version: 1, peerId: 'peer-A', maxMessage: 262144 }, '01 01 00040000 06 706565722d41'],
    [{ type: 'have', id, count: 1, bitfield: new Uint8Array([0x00]) }, `02 ${id} 00000001 00`],
    [{ type: 'have', id, count: 1, bitfield: new Uint8Array([0x80]) }, `02 ${id} 00000001 80`],
    [{ type: 'request', id, chunk: 0 }, `03 ${id} 00000000`],
    [{ type: 'data', id, chunk: 0, offset: 0, bytes: content }, `04 ${id} 00000000 00000000 68656c6c6f2073686f616c0a`],
    [{ type: 'cancel', id, chunk: 0 }, `05 ${id} 00000000`],
    [{ type: 'reject', id, chunk: WHOLE_FILE, reason: RejectReason.unknownContent }, `06 ${id} ffffffff 01`]
  ];

  it('encode and decode as documented', () => {
    for (const [m, doc] of examples) {
      const expected = doc.replace(/ /g, '');
      expect(hex(encodeMessage(m))).toBe(expected);
      expect(plain(decodeMessage(Buffer.from(expected, 'hex')))).toEqual(m);
    }
  });

  it('frame as documented for TCP', () => {
    expect(hex(frameMessage(encodeMessage(examples[3][0])))).toBe(`00000025 03 ${id} 00000000`.replace(/ /g, ''));
  });
});

describe('encodeMessage / decodeMessage', () => {
  it('round-trips every sample', { timeout: 30_000 }, () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('decodes from a view into a larger buffer', { timeout: 30_000 }, () => {
    for (const m of samples) {
      const enc = encodeMessage(m);
      const big = new Uint8Array(enc.length + 10).fill(0xee);
      big.set(enc, 3);
      expect(plain(decodeMessage(big.subarray(3, 3 + enc.length)))).toEqual(m);
      expect(plain(decodeMessage(Buffer.from(enc)))).toEqual(m);
    }
  });

  it('throws WIRE_MALFORMED for every truncation of every message (data: down to its header)', { timeout: 30_000 }, () => {
    const failures: string[] = [];
    for (const m of samples) {
      const enc = encodeMessage(m);
      for (let len = 0; len < enc.length; len++) {
        const cut = enc.subarray(0, len);
        let result: WireMessage | WireError;
        try {
          result = decodeMessage(cut);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          result = e;
        }
        if (m.type === 'data' && len >= 1 + 32 + 8) {
          // A data payload carries no length of its own: the transport's message boundary is its
          // end, so a cut payload is a shorter block. The chunk hash catches it (PROTOCOL.md).
          const ok =
            !(result instanceof WireError) &&
            result.type === 'data' &&
            result.id === m.id &&
            result.chunk === m.chunk &&
            result.offset === m.offset &&
            Buffer.compare(result.bytes, m.bytes.subarray(0, len - 41)) === 0;
          if (!ok) failures.push(`${m.type} cut to ${len}: ${String(result)}`);
        } else if (!(result instanceof WireError) || result.code !== 'WIRE_MALFORMED') {
          failures.push(`${m.type} cut to ${len}: ${result instanceof WireError ? result.code : 'decoded'}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('throws WIRE_MALFORMED for trailing bytes', () => {
    for (const m of samples) {
      if (m.type === 'data') continue;
      const enc = encodeMessage(m);
      for (const extra of [[0], [0xff], [1, 2, 3, 4]]) {
        expect(codeOf(() => decodeMessage(bytes(enc, extra))), m.type).toBe('WIRE_MALFORMED');
      }
    }
  });

  it('throws WIRE_UNKNOWN_TYPE for every unknown type byte', () => {
    for (let t = 0; t < 256; t++) {
      if (t >= 1 && t <= 6) continue;
      expect(codeOf(() => decodeMessage(bytes(t)))).toBe('WIRE_UNKNOWN_TYPE');
      expect(codeOf(() => decodeMessage(bytes(t, ID_BYTES, 0, 0, 0, 1)))).toBe('WIRE_UNKNOWN_TYPE');
    }
  });

  it('throws WIRE_VERSION for a hello of another version', () => {
    for (const v of [0, 2, 255]) {
      expect(codeOf(() => decodeMessage(bytes(1, v, 0, 0, 0, 0, 1, 0x41)))).toBe('WIRE_VERSION');
      // …whatever follows the version byte, since another version may lay its hello out differently
      expect(codeOf(() => decodeMessage(bytes(1, v)))).toBe('WIRE_VERSION');
      expect(codeOf(() => decodeMessage(bytes(1, v, 9, 9, 9, 9, 0, 1, 2, 3)))).toBe('WIRE_VERSION');
    }
  });

  it('throws WIRE_TOO_LARGE for oversize messages', () => {
    const huge = new Uint8Array(MAX_MESSAGE_SIZE + 1);
    for (const t of [1, 2, 3, 4, 5, 6, 0, 200]) {
      huge[0] = t;
      expect(codeOf(() => decodeMessage(huge))).toBe('WIRE_TOO_LARGE');
    }
    const block = (n: number) => bytes(4, ID_BYTES, 0, 0, 0, 0, 0, 0, 0, 0, new Uint8Array(n));
    expect(decodeMessage(block(BLOCK_SIZE)).type).toBe('data');
    expect(codeOf(() => decodeMessage(block(BLOCK_SIZE + 1)))).toBe('WIRE_TOO_LARGE');
    for (const count of [MAX_CHUNKS + 1, 0x7fffffff, 0xffffffff]) {
      const b = bytes(2, ID_BYTES, 0, 0, 0, 0, new Uint8Array(8));
      new DataView(b.buffer).setUint32(33, count);
      expect(codeOf(() => decodeMessage(b))).toBe('WIRE_TOO_LARGE');
    }
  });

  it('throws WIRE_MALFORMED when a bitfield has spare bits set', () => {
    for (let count = 1; count < 24; count++) {
      if (count % 8 === 0) continue;
      const n = Math.ceil(count / 8);
      const used = count % 8;
      const full = new Uint8Array(n).fill(0xff);
      full[n - 1] = (0xff00 >> used) & 0xff;
      const ok = bytes(2, ID_BYTES, 0, 0, 0, count, full);
      expect((decodeMessage(ok) as { count: number }).count).toBe(count);
      for (let bit = used; bit < 8; bit++) {
        const bad = ok.slice();
        bad[bad.length - 1] |= 0x80 >> bit;
        expect(codeOf(() => decodeMessage(bad)), `count ${count}, bit ${bit}`).toBe('WIRE_MALFORMED');
      }
    }
  });

  it('throws WIRE_MALFORMED for bad peer ids', () => {
    expect(codeOf(() => decodeMessage(bytes(1, 1, 0, 0, 0, 0, 0)))).toBe('WIRE_MALFORMED'); // empty
    expect(codeOf(() => decodeMessage(bytes(1, 1, 0, 0, 0, 0, 65, new Uint8Array(65).fill(0x61))))).toBe('WIRE_MALFORMED');
    expect(codeOf(() => decodeMessage(bytes(1, 1, 0, 0, 0, 0, 255, new Uint8Array(255).fill(0x61))))).toBe('WIRE_MALFORMED');
    for (const utf8 of [[0xff], [0xc3, 0x28], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe6, 0x97], [0xf4, 0x90, 0x80, 0x80]]) {
      expect(codeOf(() => decodeMessage(bytes(1, 1, 0, 0, 0, 0, utf8.length, utf8))), hex(Uint8Array.from(utf8))).toBe('WIRE_MALFORMED');
    }
  });

  it('keeps a byte-order mark in a peer id instead of dropping it', () => {
    const m = decodeMessage(bytes(1, 1, 0, 0, 0, 0, 3, 0xef, 0xbb, 0xbf));
    expect(m).toEqual({ type: 'hello', version: 1, maxMessage: 0, peerId: '\ufeff' });
  });

  it('throws WIRE_MALFORMED for unknown reject reasons', () => {
    for (const r of [0, 6, 7, 128, 255]) {
      expect(codeOf(() => decodeMessage(bytes(6, ID_BYTES, 0, 0, 0, 1, r)))).toBe('WIRE_MALFORMED');
    }
  });

  it('refuses to encode what it would refuse to decode', () => {
    const bad: Array<[unknown, string]> = [
      [{ type: 'request', id: ID.slice(2), chunk: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'request', id: 'zz' + ID.slice(2), chunk: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'request', id: ID + '00', chunk: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'request', id: ID, chunk: -1 }, 'WIRE_MALFORMED'],
      [{ type: 'cancel', id: ID, chunk: 2 ** 32 }, 'WIRE_MALFORMED'],
      [{ type: 'cancel', id: ID, chunk: 1.5 }, 'WIRE_MALFORMED'],
      [{ type: 'reject', id: ID, chunk: NaN, reason: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'reject', id: ID, chunk: 1, reason: 0 }, 'WIRE_MALFORMED'],
      [{ type: 'reject', id: ID, chunk: 1, reason: 6 }, 'WIRE_MALFORMED'],
      [{ type: 'data', id: ID, chunk: 1, offset: -1, bytes: new Uint8Array(1) }, 'WIRE_MALFORMED'],
      [{ type: 'data', id: ID, chunk: 1, offset: 0, bytes: new Uint8Array(BLOCK_SIZE + 1) }, 'WIRE_TOO_LARGE'],
      [{ type: 'have', id: ID, count: MAX_CHUNKS + 1, bitfield: new Uint8Array(MAX_CHUNKS / 8 + 1) }, 'WIRE_TOO_LARGE'],
      [{ type: 'have', id: ID, count: 9, bitfield: new Uint8Array(1) }, 'WIRE_MALFORMED'],
      [{ type: 'have', id: ID, count: 9, bitfield: new Uint8Array(3) }, 'WIRE_MALFORMED'],
      [{ type: 'have', id: ID, count: -1, bitfield: new Uint8Array(0) }, 'WIRE_MALFORMED'],
      [{ type: 'have', id: ID, count: 9, bitfield: new Uint8Array([0, 0x40]) }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: 1, peerId: '', maxMessage: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: 1, peerId: 'é'.repeat(33), maxMessage: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: 1, peerId: 'a\ud800b', maxMessage: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: 1, peerId: 'a', maxMessage: -1 }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: 256, peerId: 'a', maxMessage: 1 }, 'WIRE_MALFORMED'],
      [{ type: 'hello', version: -1, peerId: 'a', maxMessage: 1 }, 'WIRE_MALFORMED']
    ];
    for (const [m, code] of bad) expect(codeOf(() => encodeMessage(m as WireMessage)), JSON.stringify(m)).toBe(code);
  });

  it('fuzz: random and mutated input either decodes canonically or throws a WireError', { timeout: 30_000 }, () => {
    const rand = prng(20240601);
    const int = (n: number) => Math.floor(rand() * n);
    const encoded = samples.map(encodeMessage).filter((b) => b.length < 1000);
    const failures: string[] = [];
    let decoded = 0;
    for (let k = 0; k < 5000; k++) {
      let input: Uint8Array;
      const mode = k % 4;
      if (mode === 0) {
        input = Uint8Array.from({ length: int(80) }, () => int(256));
      } else if (mode === 1) {
        input = Uint8Array.from({ length: int(60) + 1 }, () => int(256));
        input[0] = 1 + int(6);
        if (input[0] === 1 && input.length > 1) input[1] = PROTOCOL_VERSION;
      } else {
        input = encoded[int(encoded.length)].slice();
        const edits = 1 + int(3);
        for (let e = 0; e < edits; e++) {
          const op = int(4);
          if (op === 0 && input.length > 0) input[int(input.length)] ^= 1 << int(8);
          else if (op === 1 && input.length > 0) input[int(input.length)] = int(256);
          else if (op === 2) input = input.slice(0, int(input.length + 1));
          else input = bytes(input, Uint8Array.from({ length: 1 + int(4) }, () => int(256)));
        }
      }
      let m: WireMessage;
      try {
        m = decodeMessage(input);
      } catch (e) {
        if (!(e instanceof WireError) || !WIRE_CODES.has(e.code)) failures.push(`${hex(input)}: ${String(e)}`);
        continue;
      }
      decoded++;
      // Whatever decodes is canonical: encoding it gives back the very same bytes.
      let again = '';
      try {
        again = hex(encodeMessage(m));
      } catch (e) {
        again = String(e);
      }
      if (again !== hex(input)) failures.push(`${hex(input)} decoded, re-encoded as ${again}`);
    }
    expect(failures).toEqual([]);
    expect(decoded).toBeGreaterThan(100); // the fuzz also reaches the success path
  });
});

describe('frameMessage', () => {
  it('prefixes a u32 big-endian length', () => {
    expect(hex(frameMessage(new Uint8Array([0xaa, 0xbb, 0xcc])))).toBe('00000003aabbcc');
    expect(hex(frameMessage(new Uint8Array(0x0102).fill(1)).subarray(0, 4))).toBe('00000102');
  });
});

describe('FrameDecoder', () => {
  const messages = samples.filter((m) => m.type !== 'data' || m.bytes.length < 1000).filter((m) => m.type !== 'have' || m.count < 1000).map(encodeMessage);
  const stream = bytes(...messages.map(frameMessage));

  it('returns nothing until a frame is complete', () => {
    const d = new FrameDecoder();
    const f = frameMessage(messages[0]);
    expect(d.push(f.subarray(0, 2))).toEqual([]);
    expect(d.pending).toBe(2);
    expect(d.push(f.subarray(2, f.length - 1))).toEqual([]);
    expect(d.pending).toBe(f.length - 1);
    expect(d.push(f.subarray(f.length - 1))).toEqual([messages[0]]);
    expect(d.pending).toBe(0);
  });

  it('reassembles several messages from one piece', () => {
    const d = new FrameDecoder();
    expect(d.push(stream)).toEqual(messages);
    expect(d.pending).toBe(0);
  });

  it('reassembles messages split at every byte boundary', { timeout: 30_000 }, () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out.length).toBe(messages.length);
      for (let i = 0; i < messages.length; i++) expect(hex(out[i])).toBe(hex(messages[i]));
      expect(d.pending).toBe(0);
    }
  });

  it('reassembles a stream fed one byte at a time, and in random pieces', { timeout: 30_000 }, () => {
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(messages);
    const rand = prng(7);
    for (let round = 0; round < 50; round++) {
      const r = new FrameDecoder();
      const got: Uint8Array[] = [];
      for (let o = 0; o < stream.length; ) {
        const n = Math.floor(rand() * 40);
        got.push(...r.push(stream.subarray(o, o + n)));
        o += n;
      }
      expect(got).toEqual(messages);
    }
  });

  it('handles a largest-size frame trickled in byte by byte, copying each byte once', { timeout: 30_000 }, () => {
    const big = encodeMessage({ type: 'data', id: ID, chunk: 1, offset: 0, bytes: pattern(BLOCK_SIZE) });
    const framed = frameMessage(big);
    const d = new FrameDecoder();
    const out: Uint8Array[] = [];
    // Bytes the decoder copies: each input byte once when linear; everything held again on every
    // push (the quadratic way) would be about framed.length² / 2.
    let copied = 0;
    const set = Uint8Array.prototype.set;
    const spy = vi.spyOn(Uint8Array.prototype, 'set').mockImplementation(function (this: Uint8Array, src: ArrayLike<number>, offset?: number) {
      copied += src.length;
      return set.call(this, src, offset);
    });
    try {
      for (let i = 0; i < framed.length; i++) {
        out.push(...d.push(framed.subarray(i, i + 1)));
        if (i === 1000 && d.pending !== 1001) throw new Error(`pending ${d.pending}`);
      }
    } finally {
      spy.mockRestore();
    }
    expect(out.length).toBe(1);
    expect(hex(out[0])).toBe(hex(big));
    expect(d.pending).toBe(0);
    expect(copied).toBeLessThanOrEqual(framed.length);
  });

  it('returns copies that later input cannot change', () => {
    const d = new FrameDecoder();
    const piece = frameMessage(messages[0]).slice();
    const [m] = d.push(piece);
    piece.fill(0);
    expect(hex(m)).toBe(hex(messages[0]));
  });

  it('accepts a frame of exactly MAX_MESSAGE_SIZE', () => {
    const body = new Uint8Array(MAX_MESSAGE_SIZE);
    const out = new FrameDecoder().push(frameMessage(body));
    expect(out.length).toBe(1);
    expect(out[0].length).toBe(MAX_MESSAGE_SIZE);
  });

  it('throws WIRE_MALFORMED for a zero length', () => {
    expect(codeOf(() => new FrameDecoder().push(bytes(0, 0, 0, 0)))).toBe('WIRE_MALFORMED');
    // …also when it follows a good frame in the same piece
    expect(codeOf(() => new FrameDecoder().push(bytes(frameMessage(messages[0]), 0, 0, 0, 0)))).toBe('WIRE_MALFORMED');
  });

  it('throws WIRE_TOO_LARGE for an oversize length as soon as the prefix arrives', () => {
    for (const len of [MAX_MESSAGE_SIZE + 1, 0x7fffffff, 0xffffffff]) {
      const d = new FrameDecoder();
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, len);
      expect(d.push(prefix.subarray(0, 3))).toEqual([]);
      expect(codeOf(() => d.push(prefix.subarray(3)))).toBe('WIRE_TOO_LARGE');
      // The stream cannot be resynchronised: later input keeps failing.
      expect(codeOf(() => d.push(frameMessage(messages[0])))).toBe('WIRE_TOO_LARGE');
    }
  });
});

describe('the choke example of docs/PROTOCOL.md §11', () => {
  const id = '98b659bc84afc041139a29f516db93c95dd611a078d479d8aefff721811da6a8';
  it('a choke is reject(WHOLE_FILE, busy); the unchoke is a have', () => {
    const choke = `06 ${id} ffffffff 03`.replace(/ /g, '');
    expect(hex(encodeMessage({ type: 'reject', id, chunk: WHOLE_FILE, reason: RejectReason.busy }))).toBe(choke);
    expect(plain(decodeMessage(Buffer.from(choke, 'hex')))).toEqual({ type: 'reject', id, chunk: WHOLE_FILE, reason: RejectReason.busy });
    expect(Buffer.from(choke, 'hex').length).toBe(38);
    expect(hex(encodeMessage({ type: 'have', id, count: 1, bitfield: new Uint8Array([0x80]) }))).toBe(`02${id}0000000180`);
  });
});
