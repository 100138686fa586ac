/**
 * The compliance suite every Presence passes: presence.spec.ts runs it on MemoryPresence,
 * tests/integration/redis-presence.test.ts on RedisPresence over a real redis-server. `open`
 * gives a fresh, empty presence with at most 3 contacts per peer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '../../tracker/presence.ts';

const F = 'f'.repeat(64);
const G = 'e'.repeat(64);
const H = 'd'.repeat(64);

export function presenceContract(label: string, open: () => Promise<Presence>): void {
  describe(`Presence contract: ${label}`, () => {
    const opened: Presence[] = [];
    const fresh = async () => {
      const p = await open();
      opened.push(p);
      return p;
    };
    afterEach(async () => {
      for (const p of opened.splice(0)) await p.close();
    });

    it('tracks swarm membership, seeders, leechers, bytes and promotions', async () => {
      const p = await fresh();
      await p.addPeer('a', 'browser', 's1', 100);
      await p.addPeer('b', 'node', 's2', 100);
      expect(await p.join('a', 's1', [{ id: F, chunks: 4, have: 4, size: 1000 }])).toBe(0);
      expect(await p.join('b', 's2', [{ id: F, chunks: 4, have: 1, size: 1000 }, { id: G, chunks: 2, have: 9, size: 2 ** 40 }])).toBe(0);
      expect(await p.swarmCounts([F, G, H])).toEqual(
        new Map([
          [F, { seeders: 1, leechers: 1 }],
          [G, { seeders: 1, leechers: 0 }],
          [H, { seeders: 0, leechers: 0 }]
        ])
      );
      expect(await p.members(G)).toEqual([{ peerId: 'b', kind: 'node', have: 2, seeder: true }]);
      expect(await p.members(F, 'a')).toEqual([{ peerId: 'b', kind: 'node', have: 1, seeder: false }]);
      expect(await p.counts()).toEqual({ peers: 2, browser: 1, node: 1, swarms: 2, seeders: 2, leechers: 1, announcedBytes: 1000 + 2 ** 40 });
      // b finishes F: one promotion; announcing it complete again is not another.
      expect(await p.join('b', 's2', [{ id: F, chunks: 4, have: 4, size: 1000 }])).toBe(1);
      expect(await p.join('b', 's2', [{ id: F, chunks: 4, have: 4, size: 1000 }])).toBe(0);
      expect((await p.swarmCounts([F])).get(F)).toEqual({ seeders: 2, leechers: 0 });
      // The first chunk count stays.
      await p.join('a', 's1', [{ id: G, chunks: 7, have: 5, size: 7 }]);
      expect((await p.members(G, 'b'))[0]).toMatchObject({ peerId: 'a', have: 2, seeder: true });
      expect(await p.memberships('b', [F, G, H])).toEqual({ count: 2, member: new Set([F, G]) });
      expect((await p.busiestSwarms(1)).length).toBe(1);
      expect((await p.busiestSwarms(10)).sort()).toEqual([F, G].sort());
    });

    it('leaves swarms, drops empty ones, and forgets their bytes', async () => {
      const p = await fresh();
      await p.addPeer('a', 'browser', 's1', 0);
      await p.addPeer('b', 'browser', 's2', 0);
      await p.join('a', 's1', [{ id: F, chunks: 2, have: 2, size: 10 }, { id: G, chunks: 2, have: 0, size: 20 }]);
      await p.join('b', 's2', [{ id: G, chunks: 2, have: 2, size: 20 }]);
      expect((await p.leave('a', [F, H])).sort()).toEqual([F]);
      expect(await p.counts()).toMatchObject({ swarms: 1, seeders: 1, leechers: 1, announcedBytes: 20 });
      expect((await p.removePeer('a', 's1')).sort()).toEqual([G]);
      expect(await p.counts()).toEqual({ peers: 1, browser: 1, node: 0, swarms: 1, seeders: 1, leechers: 0, announcedBytes: 20 });
      expect(await p.removePeer('a', 's1')).toEqual([]);
      await p.removePeer('b', 's2');
      expect(await p.counts()).toEqual({ peers: 0, browser: 0, node: 0, swarms: 0, seeders: 0, leechers: 0, announcedBytes: 0 });
    });

    it('a newer session replaces the older one, which can no longer remove it or join for it', async () => {
      const p = await fresh();
      await p.addPeer('a', 'browser', 'old', 0);
      await p.join('a', 'old', [{ id: F, chunks: 1, have: 1, size: 5 }]);
      expect(await p.addPeer('a', 'node', 'new', 10)).toEqual([F]);
      expect(await p.join('a', 'old', [{ id: G, chunks: 1, have: 1, size: 5 }])).toBeUndefined();
      expect(await p.removePeer('a', 'old')).toEqual([]);
      expect(await p.getPeer('a')).toEqual({ peerId: 'a', kind: 'node', session: 'new', connectedAt: 10, lastSeen: 10 });
      expect(await p.counts()).toMatchObject({ peers: 1, browser: 0, node: 1, swarms: 0 });
      expect(await p.getPeer('ghost')).toBeUndefined();
      expect(await p.join('ghost', 'x', [{ id: F, chunks: 1, have: 1, size: 5 }])).toBeUndefined();
    });

    it('expires peers silent for longer than the expiry, and only those', async () => {
      const p = await fresh();
      await p.addPeer('a', 'browser', 's1', 0);
      await p.addPeer('b', 'browser', 's2', 0);
      await p.join('a', 's1', [{ id: F, chunks: 1, have: 1, size: 5 }]);
      expect(await p.touch('b', 80)).toBe(true);
      expect(await p.touch('b', 70)).toBe(true); // never lowers lastSeen
      expect(await p.touch('ghost', 80)).toBe(false);
      expect(await p.expire(100, 50)).toEqual([{ peerId: 'a', left: [F] }]);
      expect(await p.expire(100, 50)).toEqual([]);
      expect((await p.getPeer('b'))?.lastSeen).toBe(80);
      expect(await p.getPeer('ghost')).toBeUndefined();
      expect(await p.counts()).toMatchObject({ peers: 1, swarms: 0 });
    });

    it('lets a peer signal those it shares a swarm with or was allowed to, bounded per peer', async () => {
      const p = await fresh();
      for (const id of ['a', 'b', 'c', 'd', 'e', 'x']) await p.addPeer(id, 'browser', `s-${id}`, 0);
      await p.join('a', 's-a', [{ id: F, chunks: 1, have: 0, size: 1 }]);
      await p.join('x', 's-x', [{ id: F, chunks: 1, have: 1, size: 1 }]);
      expect(await p.mayContact('a', 'x')).toBe(true);
      expect(await p.mayContact('a', 'b')).toBe(false);
      await p.allowContacts('a', ['b']);
      await p.allowContacts('a', ['c', 'd']);
      expect(await p.mayContact('a', 'b')).toBe(true);
      expect(await p.mayContact('b', 'a')).toBe(false);
      await new Promise((r) => setTimeout(r, 5));
      await p.allowContacts('a', ['e']); // over the cap of 3: the oldest (b) goes
      expect(await p.mayContact('a', 'b')).toBe(false);
      expect(await p.mayContact('a', 'e')).toBe(true);
      await p.allowContacts('ghost', ['a']); // not online: nothing
      expect(await p.mayContact('ghost', 'a')).toBe(false);
      await p.removePeer('a', 's-a');
      expect(await p.mayContact('a', 'c')).toBe(false);
    });

    it('lists peers oldest connection first with what they hold', async () => {
      const p = await fresh();
      await p.addPeer('a', 'browser', 's1', 10);
      await p.addPeer('b', 'node', 's2', 20);
      await p.addPeer('c', 'browser', 's3', 30);
      await p.join('b', 's2', [{ id: F, chunks: 2, have: 2, size: 1 }, { id: G, chunks: 2, have: 1, size: 1 }]);
      await p.touch('b', 25);
      const list = await p.peerList(2, 1);
      expect(list.total).toBe(3);
      expect(list.peers).toEqual([
        { peerId: 'b', kind: 'node', files: 2, seeding: 1, leeching: 1, connectedAt: 20, lastSeen: 25 },
        { peerId: 'c', kind: 'browser', files: 0, seeding: 0, leeching: 0, connectedAt: 30, lastSeen: 30 }
      ]);
      expect((await p.peerList(0, 0)).peers).toEqual([]);
    });
  });
}
