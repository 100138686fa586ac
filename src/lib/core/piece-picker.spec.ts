import { describe, expect, it } from 'vitest';
import { Bitfield } from './bitfield.ts';
import { PiecePicker } from './piece-picker.ts';

/** A bitfield of `size` with the given indices set. */
function bits(size: number, indices: Iterable<number>): Bitfield {
  const b = new Bitfield(size);
  for (const i of indices) b.set(i);
  return b;
}
const all = (size: number) => Bitfield.full(size);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('PiecePicker', () => {
  it('picks rarest first, ties broken by lower index', () => {
    const p = new PiecePicker(new Bitfield(6));
    p.setPeer('a', all(6));
    p.setPeer('b', bits(6, [0, 1, 2, 3]));
    p.setPeer('c', bits(6, [0, 1]));
    // availability: 0→3, 1→3, 2→2, 3→2, 4→1, 5→1
    expect([0, 1, 2, 3, 4, 5].map((i) => p.availability(i))).toEqual([3, 3, 2, 2, 1, 1]);
    expect(p.pick('a', 6)).toEqual([4, 5, 2, 3, 0, 1]);
  });

  it('prefers what only this peer has over what everyone has', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('a', bits(4, [0, 1, 2, 3]));
    p.setPeer('b', bits(4, [0, 1, 2]));
    p.setPeer('c', bits(4, [0, 1]));
    expect(p.pick('a', 1)).toEqual([3]);
    expect(p.pick('b', 1)).toEqual([2]);
    expect(p.pick('c', 1)).toEqual([0]);
  });

  it('never picks a chunk we have', () => {
    const p = new PiecePicker(bits(5, [0, 2, 4]));
    p.setPeer('a', all(5));
    expect(p.pick('a', 10).sort()).toEqual([1, 3]);
    expect(p.pick('a', 10)).toEqual([]);
  });

  it('never picks a chunk the peer lacks', () => {
    const p = new PiecePicker(new Bitfield(5));
    p.setPeer('a', bits(5, [1, 3]));
    p.setPeer('b', all(5));
    expect(p.pick('a', 10).sort()).toEqual([1, 3]);
    expect(p.pick('a', 10)).toEqual([]);
  });

  it('returns nothing for an unknown peer or a non-positive max', () => {
    const p = new PiecePicker(new Bitfield(3));
    p.setPeer('a', all(3));
    expect(p.pick('nobody', 5)).toEqual([]);
    expect(p.pick('a', 0)).toEqual([]);
    expect(p.pick('a', -1)).toEqual([]);
    expect(p.askedOf(0)).toEqual([]);
  });

  it('respects max', () => {
    const p = new PiecePicker(new Bitfield(10));
    p.setPeer('a', all(10));
    expect(p.pick('a', 3)).toEqual([0, 1, 2]);
    expect(p.inFlightWith('a').sort()).toEqual([0, 1, 2]);
  });

  it('does not ask a second peer for a chunk in flight before the endgame', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('a', all(4));
    p.setPeer('b', all(4));
    expect(p.pick('a', 2)).toEqual([0, 1]);
    expect(p.pick('b', 4)).toEqual([2, 3]);
    expect(p.askedOf(0)).toEqual(['a']);
    expect(p.askedOf(2)).toEqual(['b']);
  });

  it('gives a peer nothing before the endgame when the chunks it has are all in flight elsewhere', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('a', all(4));
    p.setPeer('b', bits(4, [1]));
    expect(p.pick('a', 1)).toEqual([0]); // 0, 2 and 3 are the rarest
    p.setPeer('c', bits(4, [0]));
    // chunks 1, 2 and 3 are missing and not in flight, so this is not the endgame yet
    expect(p.pick('c', 4)).toEqual([]);
    expect(p.pick('b', 1)).toEqual([1]);
  });

  it('in the endgame, asks a second peer but never a third, nor the same peer twice', () => {
    const p = new PiecePicker(bits(4, [0, 1]));
    p.setPeer('a', all(4));
    p.setPeer('b', all(4));
    p.setPeer('c', all(4));
    expect(p.pick('a', 10)).toEqual([2, 3]);
    expect(p.pick('a', 10)).toEqual([]); // not twice from the same peer
    expect(p.pick('b', 1)).toEqual([2]);
    expect(p.askedOf(2).sort()).toEqual(['a', 'b']);
    expect(p.pick('b', 10)).toEqual([3]);
    expect(p.pick('c', 10)).toEqual([]); // both already asked of two peers
  });

  it('frees the in-flight chunks of a removed peer and forgets its availability', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('a', all(4));
    p.setPeer('b', all(4));
    expect(p.pick('a', 2)).toEqual([0, 1]);
    expect(p.removePeer('a').sort()).toEqual([0, 1]);
    expect(p.availability(0)).toBe(1);
    expect(p.inFlightWith('a')).toEqual([]);
    expect(p.askedOf(0)).toEqual([]);
    expect(p.peerHas('a', 0)).toBe(false);
    expect(p.pick('b', 4)).toEqual([0, 1, 2, 3]);
    expect(p.removePeer('a')).toEqual([]); // twice is harmless
  });

  it('keeps the other peer on a chunk when one of two endgame peers is removed', () => {
    const p = new PiecePicker(new Bitfield(1));
    p.setPeer('a', all(1));
    p.setPeer('b', all(1));
    expect(p.pick('a', 1)).toEqual([0]);
    expect(p.pick('b', 1)).toEqual([0]);
    expect(p.removePeer('a')).toEqual([0]);
    expect(p.askedOf(0)).toEqual(['b']);
  });

  it('complete marks the chunk ours and returns the other peers to cancel', () => {
    const p = new PiecePicker(bits(3, [0, 1]));
    p.setPeer('a', all(3));
    p.setPeer('b', all(3));
    p.setPeer('c', all(3));
    expect(p.pick('a', 1)).toEqual([2]);
    expect(p.pick('b', 1)).toEqual([2]);
    expect(p.complete(2, 'b')).toEqual(['a']);
    expect(p.have.get(2)).toBe(true);
    expect(p.have.complete).toBe(true);
    expect(p.askedOf(2)).toEqual([]);
    expect(p.inFlightWith('a')).toEqual([]);
    expect(p.pick('c', 3)).toEqual([]);
  });

  it('complete with no other peer returns nothing, also for an unrequested chunk', () => {
    const p = new PiecePicker(new Bitfield(3));
    p.setPeer('a', all(3));
    expect(p.pick('a', 1)).toEqual([0]);
    expect(p.complete(0, 'a')).toEqual([]);
    expect(p.complete(1, 'a')).toEqual([]);
    expect(p.pick('a', 3)).toEqual([2]);
  });

  it('release makes a chunk pickable again', () => {
    const p = new PiecePicker(new Bitfield(2));
    p.setPeer('a', all(2));
    p.setPeer('b', all(2));
    expect(p.pick('a', 1)).toEqual([0]);
    p.release('a', 0);
    p.release('a', 0);
    p.release('z', 1);
    expect(p.askedOf(0)).toEqual([]);
    expect(p.pick('b', 2)).toEqual([0, 1]);
  });

  it('replaces a peer bitfield without double counting', () => {
    const p = new PiecePicker(new Bitfield(3));
    p.setPeer('a', bits(3, [0]));
    p.setPeer('a', bits(3, [0, 1]));
    expect([0, 1, 2].map((i) => p.availability(i))).toEqual([1, 1, 0]);
    expect(p.peerHas('a', 1)).toBe(true);
    expect(p.peerHas('a', 2)).toBe(false);
  });

  it('keeps in-flight requests when a peer announces more chunks', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('a', bits(4, [0]));
    p.setPeer('b', all(4));
    expect(p.pick('a', 1)).toEqual([0]);
    p.setPeer('a', bits(4, [0, 1])); // a later have: the request for 0 is still out
    expect(p.inFlightWith('a')).toEqual([0]);
    expect(p.askedOf(0)).toEqual(['a']);
    expect(p.pick('b', 4)).toEqual([2, 3, 1]); // rarest first; 0 is still out with a
  });

  it('copes with a peer bitfield of another size', () => {
    const p = new PiecePicker(new Bitfield(4));
    p.setPeer('small', bits(2, [0, 1]));
    p.setPeer('big', all(10));
    expect([0, 1, 2, 3].map((i) => p.availability(i))).toEqual([2, 2, 1, 1]);
    expect(p.pick('big', 10)).toEqual([2, 3, 0, 1]);
    p.removePeer('big');
    p.removePeer('small');
    expect([0, 1, 2, 3].map((i) => p.availability(i))).toEqual([0, 0, 0, 0]);
  });

  it('keeps its invariants under a random schedule', { timeout: 30_000 }, () => {
    let seed = 4242;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const size = 40;
    for (let run = 0; run < 20; run++) {
      const have = bits(size, range(0, size).filter(() => rand(4) === 0));
      const p = new PiecePicker(have);
      const peers = new Map<string, Bitfield>();
      const asked = new Map<number, Set<string>>(); // our own model of what is in flight
      for (let step = 0; step < 400; step++) {
        const op = rand(10);
        const peer = `p${rand(5)}`;
        if (op < 2) {
          const b = bits(size, range(0, size).filter(() => rand(3) === 0));
          p.setPeer(peer, b);
          peers.set(peer, b);
        } else if (op < 3) {
          const freed = p.removePeer(peer).sort((x, y) => x - y);
          const expected = [...asked].filter(([, s]) => s.has(peer)).map(([c]) => c).sort((x, y) => x - y);
          expect(freed).toEqual(expected);
          for (const c of freed) {
            asked.get(c)!.delete(peer);
            if (asked.get(c)!.size === 0) asked.delete(c);
          }
          peers.delete(peer);
        } else if (op < 7) {
          const missingIdle = range(0, size).some((i) => !p.have.get(i) && !asked.has(i));
          const got = p.pick(peer, 1 + rand(4));
          const b = peers.get(peer);
          if (!b) expect(got).toEqual([]);
          for (const c of got) {
            expect(p.have.get(c)).toBe(false);
            expect(b!.get(c)).toBe(true);
            const s = asked.get(c) ?? new Set<string>();
            expect(s.has(peer)).toBe(false);
            if (missingIdle) expect(s.size).toBe(0); // no double requests before the endgame
            expect(s.size).toBeLessThan(2);
            s.add(peer);
            asked.set(c, s);
          }
        } else if (op < 9) {
          const mine = [...asked].filter(([, s]) => s.has(peer)).map(([c]) => c);
          if (mine.length) {
            const c = mine[rand(mine.length)];
            const others = [...asked.get(c)!].filter((x) => x !== peer).sort();
            expect(p.complete(c, peer).sort()).toEqual(others);
            asked.delete(c);
          }
        } else {
          const mine = [...asked].filter(([, s]) => s.has(peer)).map(([c]) => c);
          if (mine.length) {
            const c = mine[rand(mine.length)];
            p.release(peer, c);
            asked.get(c)!.delete(peer);
            if (asked.get(c)!.size === 0) asked.delete(c);
          }
        }
        const availability = range(0, size).map((i) => p.availability(i));
        const expectedAvailability = range(0, size).map((i) => [...peers.values()].filter((b) => b.get(i)).length);
        expect(availability).toEqual(expectedAvailability);
        const inFlight = range(0, size).map((i) => p.askedOf(i).sort().join());
        expect(inFlight).toEqual(range(0, size).map((i) => [...(asked.get(i) ?? [])].sort().join()));
      }
    }
  });
});

describe('PiecePicker with a random order (swarming)', () => {
  it('breaks rarity ties by an order drawn per download, so two downloads of one swarm ask for different chunks', async () => {
    const { seededRandom } = await import('./prng.ts');
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const p = new PiecePicker(new Bitfield(32), { random: seededRandom(seed) });
      p.setPeer('seeder', all(32));
      const picked = p.pick('seeder', 4);
      expect(new Set(picked).size).toBe(4);
      firsts.add(picked.join(','));
      // The same seed replays the same order.
      const again = new PiecePicker(new Bitfield(32), { random: seededRandom(seed) });
      again.setPeer('seeder', all(32));
      expect(again.pick('seeder', 4)).toEqual(picked);
    }
    // Eight downloads, eight different sets of first requests; none is the index order.
    expect(firsts.size).toBe(8);
    expect(firsts.has('0,1,2,3')).toBe(false);
  });

  it('still picks rarest first: the random order only orders chunks of equal availability', async () => {
    const { seededRandom } = await import('./prng.ts');
    const p = new PiecePicker(new Bitfield(12), { random: seededRandom(7) });
    p.setPeer('a', all(12));
    p.setPeer('b', bits(12, range(0, 8)));
    p.setPeer('c', bits(12, range(0, 4)));
    const picked = p.pick('a', 12);
    // Availability 1 (8..11) before 2 (4..7) before 3 (0..3), each group in some order.
    expect(picked.slice(0, 4).sort((x, y) => x - y)).toEqual([8, 9, 10, 11]);
    expect(picked.slice(4, 8).sort((x, y) => x - y)).toEqual([4, 5, 6, 7]);
    expect(picked.slice(8).sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
    expect(picked).not.toEqual([8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]);
  });

  it('picks the first chunks in random order regardless of rarity, then turns to rarest first', async () => {
    const { seededRandom } = await import('./prng.ts');
    const random = seededRandom(1);
    // The same draw the picker makes, to know its order.
    const order = new PiecePicker(new Bitfield(16), { random: seededRandom(1) });
    order.setPeer('x', all(16));
    const randomOrder = order.pick('x', 16);
    const have = new Bitfield(16);
    const p = new PiecePicker(have, { random, randomFirst: 2 });
    p.setPeer('a', all(16));
    p.setPeer('b', bits(16, range(0, 15))); // chunk 15 is the rarest (only a has it)
    // This seed's order does not start with the rarest chunk, so rarity is visibly ignored.
    expect(randomOrder.slice(0, 2)).not.toContain(15);
    const first = p.pick('a', 1);
    expect(first).toEqual([randomOrder[0]]);
    p.complete(first[0], 'a');
    const second = p.pick('a', 1);
    expect(second).toEqual([randomOrder.filter((c) => c !== first[0])[0]]);
    p.complete(second[0], 'a');
    // Two chunks held: rarity rules now.
    expect(p.pick('a', 1)).toEqual([15]);
  });
});

describe('PiecePicker endgame threshold', () => {
  it('asks no second peer while more chunks than endgameChunks are missing, even with all in flight', () => {
    const p = new PiecePicker(new Bitfield(8), { endgameChunks: 2 });
    p.setPeer('a', all(8));
    p.setPeer('b', all(8));
    expect(p.pick('a', 8)).toHaveLength(8);
    // All 8 in flight with a, 8 missing: no endgame yet.
    expect(p.pick('b', 8)).toEqual([]);
    for (let c = 0; c < 6; c++) p.complete(c, 'a');
    // 2 missing, both in flight: now b may be asked for them too.
    expect(p.pick('b', 8).sort()).toEqual([6, 7]);
  });
});
