import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_ANNOUNCE_ENTRIES, MAX_DATAGRAM_BYTES } from './constants.ts';
import { DatagramError, decodeDatagram, encodeDatagram, type Datagram } from './lan-datagram.ts';

const peerId = '0123456789abcdef0123456789abcdef';
const id = 'ab'.repeat(32);

describe('LAN discovery datagrams', () => {
  it('round-trips every type, with the documented sizes', () => {
    const cases: [Datagram, number][] = [
      [{ type: 'announce', peerId, tcpPort: 8472, files: [] }, 26],
      [{ type: 'announce', peerId, tcpPort: 8472, files: [{ id, have: 3, chunks: 10 }, { id: 'cd'.repeat(32), have: 0, chunks: 0 }] }, 106],
      [{ type: 'whohas', peerId, tcpPort: 0, nonce: 0xdeadbeef, id }, 60],
      [{ type: 'ihave', peerId, tcpPort: 65535, nonce: 1, id, have: 10, chunks: 10 }, 68],
      [{ type: 'bye', peerId, tcpPort: 1 }, 24]
    ];
    for (const [d, size] of cases) {
      const bytes = encodeDatagram(d);
      expect(bytes.length, d.type).toBe(size);
      expect(decodeDatagram(bytes)).toEqual(d);
    }
    const full = encodeDatagram({ type: 'announce', peerId, tcpPort: 1, files: Array.from({ length: MAX_ANNOUNCE_ENTRIES }, () => ({ id, have: 1, chunks: 1 })) });
    expect(full.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
  });

  it('starts with the magic, version and type, then the peer id and port', () => {
    const b = encodeDatagram({ type: 'bye', peerId, tcpPort: 0x2118 });
    expect(Buffer.from(b.subarray(0, 6)).toString('hex')).toBe('53484c440104');
    expect(Buffer.from(b.subarray(6, 22)).toString('hex')).toBe(peerId);
    expect(Buffer.from(b.subarray(22, 24)).toString('hex')).toBe('2118');
  });

  it('refuses what it cannot encode', () => {
    expect(() => encodeDatagram({ type: 'bye', peerId: 'xyz', tcpPort: 1 })).toThrow(DatagramError);
    expect(() => encodeDatagram({ type: 'bye', peerId, tcpPort: 70000 })).toThrow(DatagramError);
    expect(() => encodeDatagram({ type: 'ihave', peerId, tcpPort: 1, nonce: 1, id, have: 5, chunks: 4 })).toThrow(DatagramError);
    expect(() => encodeDatagram({ type: 'announce', peerId, tcpPort: 1, files: Array.from({ length: 33 }, () => ({ id, have: 0, chunks: 1 })) })).toThrow(DatagramError);
  });

  it('rejects every malformed datagram with a DatagramError', () => {
    const good = encodeDatagram({ type: 'ihave', peerId, tcpPort: 1, nonce: 1, id, have: 2, chunks: 4 });
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 23),
      good.subarray(0, good.length - 1),
      new Uint8Array([...good, 0]),
      new Uint8Array(MAX_DATAGRAM_BYTES + 1),
      Uint8Array.from(good, (v, i) => (i === 0 ? 0 : v)),
      Uint8Array.from(good, (v, i) => (i === 4 ? 2 : v)),
      Uint8Array.from(good, (v, i) => (i === 5 ? 9 : v)),
      Uint8Array.from(good, (v, i) => (i === good.length - 5 ? 9 : v)) // have 9.. > chunks 4
    ];
    for (const b of bad) expect(() => decodeDatagram(b)).toThrow(DatagramError);
  });

  it('never throws anything but DatagramError on random input', () => {
    for (let i = 0; i < 2000; i++) {
      const b = randomBytes(i % 200);
      if (i % 3 === 0 && b.length >= 6) b.set([0x53, 0x48, 0x4c, 0x44, 1, 1 + (i % 4)], 0);
      try {
        decodeDatagram(b);
      } catch (err) {
        expect(err).toBeInstanceOf(DatagramError);
      }
    }
  });
});
