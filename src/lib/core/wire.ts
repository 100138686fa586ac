import { BLOCK_SIZE, HASH_BYTES, MAX_CHUNKS, MAX_MESSAGE_SIZE, MAX_PEER_ID_BYTES, PROTOCOL_VERSION } from './constants.ts';
import { WireError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';

/**
 * The binary wire codec every transport uses (WebRTC data channel messages, TCP frames).
 * Layouts are in docs/PROTOCOL.md; every decode checks lengths exactly and throws WireError.
 */
export const MessageType = {
  hello: 1,
  have: 2,
  request: 3,
  data: 4,
  cancel: 5,
  reject: 6
} as const;

/** Why a request was refused. `chunk` is WHOLE_FILE when the reason covers the whole file. */
export const RejectReason = {
  /** The peer does not share this content id. */
  unknownContent: 1,
  /** The peer shares the file but does not have this chunk (yet). */
  missingChunk: 2,
  /** The peer has too many requests in flight from this connection. */
  busy: 3,
  /** The request is out of range or otherwise invalid. */
  badRequest: 4,
  /** Reading the chunk from storage failed on the serving side. */
  storageError: 5
} as const;
export type RejectReasonCode = (typeof RejectReason)[keyof typeof RejectReason];

export const WHOLE_FILE = 0xffffffff;

export type WireMessage =
  | { type: 'hello'; version: number; peerId: string; maxMessage: number }
  | { type: 'have'; id: string; count: number; bitfield: Uint8Array }
  | { type: 'request'; id: string; chunk: number }
  | { type: 'data'; id: string; chunk: number; offset: number; bytes: Uint8Array }
  | { type: 'cancel'; id: string; chunk: number }
  | { type: 'reject'; id: string; chunk: number; reason: RejectReasonCode };

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the peer id, not a marker to drop (decoding stays canonical).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A lone surrogate would be encoded as U+FFFD and come back as another string. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const REASONS = new Set<number>(Object.values(RejectReason));

function idBytes(id: string): Uint8Array {
  const b = fromHex(id);
  if (!b || b.length !== HASH_BYTES) throw new WireError('WIRE_MALFORMED', 'A content id must be 32 bytes of hex.');
  return b;
}

function u32(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new WireError('WIRE_MALFORMED', `${what} must be a 32-bit unsigned integer.`);
  return n;
}

/** True if the bits of `bitfield` past `count` (the spare bits of its last byte) are all zero. */
function spareBitsClear(bitfield: Uint8Array, count: number): boolean {
  return count % 8 === 0 || (bitfield[bitfield.length - 1] & (0xff >> (count % 8))) === 0;
}

function withId(type: number, id: string, extra: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(1 + HASH_BYTES + extra);
  out[0] = type;
  out.set(idBytes(id), 1);
  return { out, view: new DataView(out.buffer) };
}

const HEAD = 1 + HASH_BYTES;

export function encodeMessage(m: WireMessage): Uint8Array {
  switch (m.type) {
    case 'hello': {
      if (!Number.isInteger(m.version) || m.version < 0 || m.version > 0xff) throw new WireError('WIRE_MALFORMED', 'version must be one byte.');
      if (LONE_SURROGATE.test(m.peerId)) throw new WireError('WIRE_MALFORMED', 'Peer id is not well-formed Unicode.');
      const pid = encoder.encode(m.peerId);
      if (pid.length === 0 || pid.length > MAX_PEER_ID_BYTES) throw new WireError('WIRE_MALFORMED', 'Bad peer id length.');
      const out = new Uint8Array(1 + 1 + 4 + 1 + pid.length);
      const view = new DataView(out.buffer);
      out[0] = MessageType.hello;
      out[1] = m.version;
      view.setUint32(2, u32(m.maxMessage, 'maxMessage'));
      out[6] = pid.length;
      out.set(pid, 7);
      return out;
    }
    case 'have': {
      if (m.count > MAX_CHUNKS) throw new WireError('WIRE_TOO_LARGE', 'Too many chunks in a have message.');
      const n = Math.ceil(m.count / 8);
      if (m.bitfield.length !== n) throw new WireError('WIRE_MALFORMED', 'Bitfield length does not fit the chunk count.');
      if (!spareBitsClear(m.bitfield, m.count)) throw new WireError('WIRE_MALFORMED', 'Spare bits of a bitfield must be zero.');
      const { out, view } = withId(MessageType.have, m.id, 4 + n);
      view.setUint32(HEAD, u32(m.count, 'count'));
      out.set(m.bitfield, HEAD + 4);
      return out;
    }
    case 'request':
    case 'cancel': {
      const { out, view } = withId(MessageType[m.type], m.id, 4);
      view.setUint32(HEAD, u32(m.chunk, 'chunk'));
      return out;
    }
    case 'data': {
      if (m.bytes.length > BLOCK_SIZE) throw new WireError('WIRE_TOO_LARGE', `A data block may carry at most ${BLOCK_SIZE} bytes.`);
      const { out, view } = withId(MessageType.data, m.id, 8 + m.bytes.length);
      view.setUint32(HEAD, u32(m.chunk, 'chunk'));
      view.setUint32(HEAD + 4, u32(m.offset, 'offset'));
      out.set(m.bytes, HEAD + 8);
      return out;
    }
    case 'reject': {
      if (!REASONS.has(m.reason)) throw new WireError('WIRE_MALFORMED', 'Unknown reject reason.');
      const { out, view } = withId(MessageType.reject, m.id, 5);
      view.setUint32(HEAD, u32(m.chunk, 'chunk'));
      out[HEAD + 4] = m.reason;
      return out;
    }
  }
}

function need(bytes: Uint8Array, length: number, exact: boolean, what: string): void {
  if (exact ? bytes.length !== length : bytes.length < length) {
    throw new WireError('WIRE_MALFORMED', `Truncated or oversized ${what} message (${bytes.length} bytes).`);
  }
}

/** Decodes one message. The returned `bitfield`/`bytes` are views into `bytes`: copy before keeping them. */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  if (bytes.length === 0) throw new WireError('WIRE_MALFORMED', 'Empty message.');
  if (bytes.length > MAX_MESSAGE_SIZE) throw new WireError('WIRE_TOO_LARGE', `Message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_SIZE}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[0];
  if (type === MessageType.hello) {
    // The first two bytes of a hello (type, version) are the same in every version, so a peer of
    // another version is told apart from a malformed one even if the rest of its hello differs.
    const version = bytes.length >= 2 ? bytes[1] : PROTOCOL_VERSION;
    if (version !== PROTOCOL_VERSION) throw new WireError('WIRE_VERSION', `Unsupported protocol version ${version}.`);
    need(bytes, 7, false, 'hello');
    const len = bytes[6];
    if (len === 0 || len > MAX_PEER_ID_BYTES) throw new WireError('WIRE_MALFORMED', 'Bad peer id length.');
    need(bytes, 7 + len, true, 'hello');
    let peerId: string;
    try {
      peerId = decoder.decode(bytes.subarray(7));
    } catch {
      throw new WireError('WIRE_MALFORMED', 'Peer id is not UTF-8.');
    }
    return { type: 'hello', version, maxMessage: view.getUint32(2), peerId };
  }
  if (type < MessageType.have || type > MessageType.reject) throw new WireError('WIRE_UNKNOWN_TYPE', `Unknown message type ${type}.`);
  need(bytes, HEAD + 4, false, 'peer');
  const id = toHex(bytes.subarray(1, HEAD));
  const n = view.getUint32(HEAD);
  switch (type) {
    case MessageType.have: {
      if (n > MAX_CHUNKS) throw new WireError('WIRE_TOO_LARGE', 'Too many chunks in a have message.');
      const len = Math.ceil(n / 8);
      need(bytes, HEAD + 4 + len, true, 'have');
      const bitfield = bytes.subarray(HEAD + 4);
      if (!spareBitsClear(bitfield, n)) throw new WireError('WIRE_MALFORMED', 'Spare bits of a bitfield must be zero.');
      return { type: 'have', id, count: n, bitfield };
    }
    case MessageType.request:
      need(bytes, HEAD + 4, true, 'request');
      return { type: 'request', id, chunk: n };
    case MessageType.cancel:
      need(bytes, HEAD + 4, true, 'cancel');
      return { type: 'cancel', id, chunk: n };
    case MessageType.data: {
      need(bytes, HEAD + 8, false, 'data');
      const payload = bytes.subarray(HEAD + 8);
      if (payload.length > BLOCK_SIZE) throw new WireError('WIRE_TOO_LARGE', 'Data block too large.');
      return { type: 'data', id, chunk: n, offset: view.getUint32(HEAD + 4), bytes: payload };
    }
    default: {
      need(bytes, HEAD + 5, true, 'reject');
      const reason = bytes[HEAD + 4];
      if (!REASONS.has(reason)) throw new WireError('WIRE_MALFORMED', `Unknown reject reason ${reason}.`);
      return { type: 'reject', id, chunk: n, reason: reason as RejectReasonCode };
    }
  }
}

/** Stream framing for byte-stream transports (TCP): each message is prefixed by its u32 big-endian length. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length);
  out.set(message, 4);
  return out;
}

/**
 * Reassembles framed messages from arbitrary stream pieces. Throws WireError on a bad length
 * prefix: WIRE_MALFORMED for zero, WIRE_TOO_LARGE above MAX_MESSAGE_SIZE (as soon as the prefix
 * is complete, before the body arrives); after that it keeps throwing, as the stream is lost.
 * Every byte is copied once, however small the pieces.
 */
export class FrameDecoder {
  readonly #head = new Uint8Array(4);
  #headFill = 0;
  #body: Uint8Array | null = null;
  #bodyFill = 0;

  /** Feeds bytes; returns every complete message they finish (copies, safe to keep). */
  push(piece: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let o = 0;
    while (o < piece.length) {
      if (this.#body === null) {
        const n = Math.min(4 - this.#headFill, piece.length - o);
        this.#head.set(piece.subarray(o, o + n), this.#headFill);
        this.#headFill += n;
        o += n;
        if (this.#headFill < 4) break;
        const len = new DataView(this.#head.buffer).getUint32(0);
        if (len === 0) throw new WireError('WIRE_MALFORMED', 'Frame length 0: a frame carries one message.');
        if (len > MAX_MESSAGE_SIZE) throw new WireError('WIRE_TOO_LARGE', `Frame length ${len} exceeds ${MAX_MESSAGE_SIZE}.`);
        this.#body = new Uint8Array(len);
        this.#bodyFill = 0;
      }
      const n = Math.min(this.#body.length - this.#bodyFill, piece.length - o);
      this.#body.set(piece.subarray(o, o + n), this.#bodyFill);
      this.#bodyFill += n;
      o += n;
      if (this.#bodyFill === this.#body.length) {
        out.push(this.#body);
        this.#body = null;
        this.#headFill = 0;
      }
    }
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.#body === null ? this.#headFill : 4 + this.#bodyFill;
  }

  /**
   * The frame being received once its length is known: that length and the start of its message
   * that has arrived so far (a view, valid until the next push). Null between frames.
   */
  partial(): { length: number; start: Uint8Array } | null {
    return this.#body === null ? null : { length: this.#body.length, start: this.#body.subarray(0, this.#bodyFill) };
  }
}

/** A version-1 hello is 7 + L bytes, 1 ≤ L ≤ MAX_PEER_ID_BYTES. */
const MIN_HELLO_BYTES = 8;
const MAX_HELLO_BYTES = 7 + MAX_PEER_ID_BYTES;

/**
 * Checks the start of a connection's first message, which must be a hello, before it is whole
 * (docs/PROTOCOL.md §6, "hello"): the type as soon as 1 byte has arrived, the version as soon as
 * 2 have, then the message length a version-1 hello can have. So a peer of another version gets
 * WIRE_VERSION at once, and a first frame that cannot be a hello is refused without waiting for
 * its body. Throws WireError; returns if nothing is wrong so far.
 */
export function checkHelloStart(start: Uint8Array, length: number): void {
  if (start.length >= 1 && start[0] !== MessageType.hello) {
    throw new WireError('WIRE_MALFORMED', `The first message must be a hello (type 1), not type ${start[0]}.`);
  }
  if (start.length >= 2 && start[1] !== PROTOCOL_VERSION) throw new WireError('WIRE_VERSION', `Unsupported protocol version ${start[1]}.`);
  if (start.length >= 2 && (length < MIN_HELLO_BYTES || length > MAX_HELLO_BYTES)) {
    throw new WireError('WIRE_MALFORMED', `A version-${PROTOCOL_VERSION} hello is ${MIN_HELLO_BYTES} to ${MAX_HELLO_BYTES} bytes, not ${length}.`);
  }
}
