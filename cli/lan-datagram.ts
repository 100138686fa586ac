import { MAX_CHUNKS } from '../src/lib/core/constants.ts';
import { fromHex, toHex } from '../src/lib/core/hex.ts';
import { MAX_ANNOUNCE_ENTRIES, MAX_DATAGRAM_BYTES } from './constants.ts';

/**
 * LAN discovery datagrams (docs/NODE-PEER.md, "Discovery datagrams"). Binary, big-endian,
 * every length exact. Header, 24 bytes:
 *
 *   0   4  magic "SHLD"
 *   4   1  version (1)
 *   5   1  type: 1 announce, 2 whohas, 3 ihave, 4 bye
 *   6  16  sender's peer id (32 hex characters as 16 bytes)
 *  22   2  sender's TCP port (0: accepts no connections)
 *
 * announce: u16 count (≤ 32), then count × (32-byte content id, u32 have, u32 chunks)
 * whohas:   u32 nonce, 32-byte content id
 * ihave:    u32 nonce (of the query answered), 32-byte content id, u32 have, u32 chunks
 * bye:      nothing
 */
export const DATAGRAM_MAGIC = Uint8Array.from([0x53, 0x48, 0x4c, 0x44]); // "SHLD"
export const DATAGRAM_VERSION = 1;
export const HEADER_BYTES = 24;
const ENTRY_BYTES = 40;

export const DatagramType = { announce: 1, whohas: 2, ihave: 3, bye: 4 } as const;

export interface HeldFile {
  id: string;
  /** Chunks held. */
  have: number;
  /** Chunks in the file. */
  chunks: number;
}

interface Header {
  peerId: string;
  tcpPort: number;
}

export type Datagram =
  | (Header & { type: 'announce'; files: HeldFile[] })
  | (Header & { type: 'whohas'; nonce: number; id: string })
  | (Header & { type: 'ihave'; nonce: number } & HeldFile)
  | (Header & { type: 'bye' });

/** A datagram that is not a valid discovery message; `reason` is for logs and counters. */
export class DatagramError extends Error {
  readonly code = 'BAD_DATAGRAM';
  constructor(reason: string) {
    super(reason);
    this.name = 'DatagramError';
  }
}

const PEER_ID_RE = /^[0-9a-f]{32}$/;
const ID_RE = /^[0-9a-f]{64}$/;

function checkFile(f: HeldFile): void {
  if (!ID_RE.test(f.id)) throw new DatagramError('bad content id');
  if (!Number.isInteger(f.chunks) || f.chunks < 0 || f.chunks > MAX_CHUNKS) throw new DatagramError('bad chunk count');
  if (!Number.isInteger(f.have) || f.have < 0 || f.have > f.chunks) throw new DatagramError('bad have count');
}

export function encodeDatagram(d: Datagram): Uint8Array {
  if (!PEER_ID_RE.test(d.peerId)) throw new DatagramError('peer id must be 32 lowercase hex characters');
  if (!Number.isInteger(d.tcpPort) || d.tcpPort < 0 || d.tcpPort > 0xffff) throw new DatagramError('bad TCP port');
  let body = 0;
  if (d.type === 'announce') {
    if (d.files.length > MAX_ANNOUNCE_ENTRIES) throw new DatagramError(`at most ${MAX_ANNOUNCE_ENTRIES} files per announcement`);
    d.files.forEach(checkFile);
    body = 2 + ENTRY_BYTES * d.files.length;
  } else if (d.type === 'whohas') {
    if (!ID_RE.test(d.id)) throw new DatagramError('bad content id');
    body = 4 + 32;
  } else if (d.type === 'ihave') {
    checkFile(d);
    body = 4 + ENTRY_BYTES;
  }
  if (d.type === 'whohas' || d.type === 'ihave') {
    if (!Number.isInteger(d.nonce) || d.nonce < 0 || d.nonce > 0xffffffff) throw new DatagramError('bad nonce');
  }
  const out = new Uint8Array(HEADER_BYTES + body);
  const view = new DataView(out.buffer);
  out.set(DATAGRAM_MAGIC, 0);
  out[4] = DATAGRAM_VERSION;
  out[5] = DatagramType[d.type];
  out.set(fromHex(d.peerId)!, 6);
  view.setUint16(22, d.tcpPort);
  let o = HEADER_BYTES;
  const putFile = (f: HeldFile) => {
    out.set(fromHex(f.id)!, o);
    view.setUint32(o + 32, f.have);
    view.setUint32(o + 36, f.chunks);
    o += ENTRY_BYTES;
  };
  switch (d.type) {
    case 'announce':
      view.setUint16(o, d.files.length);
      o += 2;
      d.files.forEach(putFile);
      break;
    case 'whohas':
      view.setUint32(o, d.nonce);
      out.set(fromHex(d.id)!, o + 4);
      break;
    case 'ihave':
      view.setUint32(o, d.nonce);
      o += 4;
      putFile(d);
      break;
    case 'bye':
      break;
  }
  return out;
}

/** Decodes one datagram, checking every length and field; throws DatagramError. */
export function decodeDatagram(bytes: Uint8Array): Datagram {
  if (bytes.length > MAX_DATAGRAM_BYTES) throw new DatagramError(`datagram of ${bytes.length} bytes is too large`);
  if (bytes.length < HEADER_BYTES) throw new DatagramError(`datagram of ${bytes.length} bytes is too short`);
  for (let i = 0; i < DATAGRAM_MAGIC.length; i++) if (bytes[i] !== DATAGRAM_MAGIC[i]) throw new DatagramError('bad magic');
  if (bytes[4] !== DATAGRAM_VERSION) throw new DatagramError(`unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: Header = { peerId: toHex(bytes.subarray(6, 22)), tcpPort: view.getUint16(22) };
  const body = bytes.length - HEADER_BYTES;
  const readFile = (o: number): HeldFile => {
    const f = { id: toHex(bytes.subarray(o, o + 32)), have: view.getUint32(o + 32), chunks: view.getUint32(o + 36) };
    checkFile(f);
    return f;
  };
  const type = bytes[5];
  switch (type) {
    case DatagramType.announce: {
      if (body < 2) throw new DatagramError('truncated announce');
      const count = view.getUint16(HEADER_BYTES);
      if (count > MAX_ANNOUNCE_ENTRIES) throw new DatagramError('too many files in an announce');
      if (body !== 2 + count * ENTRY_BYTES) throw new DatagramError('announce length does not match its count');
      const files: HeldFile[] = [];
      for (let i = 0; i < count; i++) files.push(readFile(HEADER_BYTES + 2 + i * ENTRY_BYTES));
      return { type: 'announce', ...header, files };
    }
    case DatagramType.whohas:
      if (body !== 36) throw new DatagramError('whohas must be 60 bytes');
      return { type: 'whohas', ...header, nonce: view.getUint32(HEADER_BYTES), id: toHex(bytes.subarray(HEADER_BYTES + 4, HEADER_BYTES + 36)) };
    case DatagramType.ihave:
      if (body !== 4 + ENTRY_BYTES) throw new DatagramError('ihave must be 68 bytes');
      return { type: 'ihave', ...header, nonce: view.getUint32(HEADER_BYTES), ...readFile(HEADER_BYTES + 4) };
    case DatagramType.bye:
      if (body !== 0) throw new DatagramError('bye must be 24 bytes');
      return { type: 'bye', ...header };
    default:
      throw new DatagramError(`unknown datagram type ${type}`);
  }
}
