import { describe, expect, it } from 'vitest';
import { Registry } from './registry.ts';

const F = 'f'.repeat(64);
const G = 'e'.repeat(64);

describe('Registry', () => {
  it('tracks swarm membership, seeders and leechers', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    r.addPeer('a', 'browser', 0);
    r.addPeer('b', 'node', 0);
    expect(r.join('a', F, 4, 4)).toBe(true);
    expect(r.join('b', F, 4, 1)).toBe(true);
    expect(r.join('ghost', F, 4, 4)).toBe(false);
    expect(r.swarmCounts(F)).toEqual({ seeders: 1, leechers: 1 });
    expect(r.members(F, 'a')).toEqual([{ peerId: 'b', kind: 'node', have: 1, seeder: false }]);
    r.join('b', F, 4, 4);
    expect(r.swarmCounts(F)).toEqual({ seeders: 2, leechers: 0 });
    r.join('a', F, 4, 0);
    expect(r.swarmCounts(F)).toEqual({ seeders: 1, leechers: 1 });
    expect(r.summary('b')).toMatchObject({ files: 1, seeding: 1, leeching: 0 });
  });

  it('an empty file (0 chunks) makes every member a seeder', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    r.addPeer('a', 'browser', 0);
    r.join('a', F, 0, 0);
    expect(r.swarmCounts(F)).toEqual({ seeders: 1, leechers: 0 });
  });

  it('removing a peer leaves its swarms and drops empty ones', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    r.addPeer('a', 'browser', 0);
    r.addPeer('b', 'browser', 0);
    r.join('a', F, 2, 2);
    r.join('a', G, 2, 0);
    r.join('b', G, 2, 2);
    expect(r.removePeer('a').sort()).toEqual([F, G].sort());
    expect(r.counts()).toEqual({ peers: 1, browser: 1, node: 0, swarms: 1, seeders: 1, leechers: 0 });
    expect(r.removePeer('a')).toEqual([]);
    expect(r.leave('b', G)).toBe(true);
    expect(r.leave('b', G)).toBe(false);
    expect(r.counts().swarms).toBe(0);
  });

  it('adding a peer id again replaces the old entry', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    r.addPeer('a', 'browser', 0);
    r.join('a', F, 2, 2);
    r.addPeer('a', 'node', 5);
    expect(r.getPeer('a')).toMatchObject({ kind: 'node', connectedAt: 5 });
    expect(r.swarmCounts(F)).toEqual({ seeders: 0, leechers: 0 });
  });

  it('lists peers silent for longer than the expiry', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    r.addPeer('a', 'browser', 0);
    r.addPeer('b', 'browser', 0);
    r.touch('b', 80);
    expect(r.expired(100, 90)).toEqual(['a']);
    expect(r.expired(90, 90)).toEqual([]);
  });

  it('allows contact through shared swarms and explicit permissions, bounded per peer', () => {
    const r = new Registry({ maxContactsPerPeer: 2 });
    for (const p of ['a', 'b', 'c', 'd', 'e']) r.addPeer(p, 'browser', 0);
    r.join('a', F, 1, 1);
    r.join('b', F, 1, 0);
    expect(r.mayContact('a', 'b')).toBe(true);
    expect(r.mayContact('b', 'a')).toBe(true);
    expect(r.mayContact('a', 'c')).toBe(false);
    r.allowContact('a', 'c');
    expect(r.mayContact('a', 'c')).toBe(true);
    expect(r.mayContact('c', 'a')).toBe(false);
    r.allowContact('a', 'd');
    r.allowContact('a', 'e'); // over the bound of 2: 'c', the oldest, is forgotten
    expect(r.mayContact('a', 'c')).toBe(false);
    expect(r.mayContact('a', 'e')).toBe(true);
    r.removePeer('a');
    r.addPeer('a', 'browser', 1);
    expect(r.mayContact('a', 'e')).toBe(false);
  });

  it('sums the sizes of active swarms, tells what a peer holds, and ranks the busiest swarms', () => {
    const r = new Registry({ maxContactsPerPeer: 10 });
    for (const p of ['a', 'b', 'c']) r.addPeer(p, 'browser', 0);
    r.join('a', F, 2, 2, 1000);
    r.join('a', G, 2, 0, 30);
    r.join('b', G, 2, 2, 30);
    r.join('c', G, 2, 1, 30);
    expect(r.announcedBytes).toBe(1030);
    expect(r.holding('c', G)).toBe(1);
    expect(r.holding('c', F)).toBeUndefined();
    expect(r.busiestSwarms()).toEqual([G, F]);
    r.leave('a', F);
    expect(r.announcedBytes).toBe(30);
    r.removePeer('b');
    r.removePeer('c');
    expect(r.announcedBytes).toBe(30);
    r.removePeer('a');
    expect(r.announcedBytes).toBe(0);
    expect(r.busiestSwarms()).toEqual([]);
  });
});
