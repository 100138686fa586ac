import { describe, expect, it } from 'vitest';
import { Choker } from './choker.ts';
import { seededRandom } from './prng.ts';

const peers = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

function choker(seed = 1, slots = 2, optimisticEvery = 3) {
  return new Choker({ slots, optimisticEvery, random: seededRandom(seed) });
}

describe('Choker (upload slots)', () => {
  it('unchokes at most slots + 1 interested peers at once, and gives a freed slot at once', () => {
    const c = choker();
    const changes = peers(6).map((p) => c.add(p, true));
    expect(c.unchoked()).toHaveLength(3);
    expect(changes.flatMap((ch) => ch.unchoke)).toEqual(['p0', 'p1', 'p2']);
    const gone = c.unchoked()[0];
    const next = c.remove(gone);
    expect(next.unchoke).toHaveLength(1);
    expect(c.unchoked()).toHaveLength(3);
    expect(c.unchoked()).not.toContain(gone);
  });

  it('never unchokes a peer that wants nothing, and an uninterested peer gives its slot up', () => {
    const c = choker();
    c.add('full', false);
    for (const p of peers(3)) c.add(p, true);
    expect(c.isUnchoked('full')).toBe(false);
    c.add('waiting', true);
    expect(c.isUnchoked('waiting')).toBe(false);
    const changes = c.setInterested('p0', false);
    expect(changes).toEqual({ choke: ['p0'], unchoke: ['waiting'] });
    expect(c.rechoke(false).unchoke).not.toContain('full');
  });

  it('while downloading, gives the regular slots to the peers that uploaded most to us (reciprocation)', () => {
    const c = choker(2);
    for (const p of peers(8)) c.add(p, true);
    c.received('p5', 3_000_000);
    c.received('p7', 2_000_000);
    c.sent('p1', 9_000_000); // uploads to a peer do not count while downloading
    c.rechoke(false);
    const unchoked = c.unchoked();
    expect(unchoked).toContain('p5');
    expect(unchoked).toContain('p7');
    expect(unchoked).toHaveLength(3);
    // The third is the optimistic slot: another interested peer.
    expect(c.optimistic).not.toBeNull();
    expect(['p5', 'p7']).not.toContain(c.optimistic);
  });

  it('while seeding, gives the regular slots to the peers that took most from us', () => {
    const c = choker(3);
    for (const p of peers(8)) c.add(p, true);
    c.sent('p2', 5_000_000);
    c.sent('p6', 4_000_000);
    c.received('p0', 9_000_000);
    c.rechoke(true);
    expect(c.unchoked()).toEqual(expect.arrayContaining(['p2', 'p6']));
    expect(c.optimistic).not.toBe('p2');
    expect(c.optimistic).not.toBe('p6');
  });

  it('rates cover two rounds: a peer that stopped uploading keeps its slot for one more round, then loses it', () => {
    const c = choker(4, 1, 100);
    for (const p of peers(5)) c.add(p, true);
    c.received('p3', 1_000_000);
    c.rechoke(false);
    expect(c.unchoked()).toContain('p3');
    c.rechoke(false);
    expect(c.unchoked()).toContain('p3');
    c.received('p4', 10);
    c.rechoke(false);
    expect(c.unchoked()).toContain('p4');
    expect(c.optimistic === 'p3' || !c.unchoked().includes('p3')).toBe(true);
  });

  it('moves the optimistic slot every optimisticEvery rechokes and keeps it in between', () => {
    const c = choker(5, 1, 3);
    for (const p of peers(10)) c.add(p, true);
    const seen: (string | null)[] = [];
    for (let round = 1; round <= 12; round++) {
      c.received('p0', 1000); // p0 holds the regular slot
      c.rechoke(false);
      seen.push(c.optimistic);
      expect(c.optimistic).not.toBe('p0');
    }
    // Rounds 1-2, 3-5, 6-8, 9-11 keep one optimistic peer each (it moves at rounds 3, 6, 9, 12).
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).toBe(seen[3]);
    expect(seen[3]).toBe(seen[4]);
    expect(seen[5]).toBe(seen[6]);
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it('prefers newcomers for the optimistic slot (three times as likely)', () => {
    let newcomer = 0;
    const draws = 3000;
    for (let seed = 0; seed < draws; seed++) {
      const c = choker(seed, 0, 1);
      // Nine peers connected long ago, one just now; no slot is free when the newcomer arrives.
      for (const p of peers(9)) c.add(p, true);
      for (let i = 0; i < 3; i++) c.rechoke(true);
      c.add('new', true);
      c.rechoke(true);
      if (c.optimistic === 'new') newcomer++;
    }
    // Weight 3 against 9 × 1: 3/12 = 0.25, far above the uniform 1/10.
    expect(newcomer / draws).toBeGreaterThan(0.2);
    expect(newcomer / draws).toBeLessThan(0.35);
  });
});
