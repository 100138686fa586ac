import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeManifest, nextEvent, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
});
afterEach(async () => {
  await t.close();
});

describe('tracker: hello, announce, whohas, manifest', () => {
  it('hello returns the derived peer id, kind and the server settings', async () => {
    const token = randomToken();
    const s = await t.connect({ token, kind: 'node' });
    const ack = await request(s, 'hello', {});
    expect(ack).toEqual({
      ok: true,
      peerId: peerIdOf(token),
      kind: 'node',
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
      iceTransportPolicy: 'all',
      heartbeatMs: 30_000,
      expiryMs: 90_000
    });
  });

  it('announce with a manifest, then whohas and manifest from another peer', async () => {
    const { id, manifest } = await makeManifest('holiday photos.zip', 100_000); // 7 chunks of 16 KiB
    const seedToken = randomToken();
    const seeder = await t.connect({ token: seedToken, kind: 'node' });
    const a = await request(seeder, 'announce', { files: [{ id, manifest, have: 7 }] });
    expect(a).toEqual({ ok: true, accepted: [id], rejected: [] });

    const leechToken = randomToken();
    const leecher = await t.connect({ token: leechToken });
    const m = await request(leecher, 'manifest', { id });
    expect(m).toEqual({ ok: true, manifest });

    const w = await request(leecher, 'whohas', { id });
    expect(w).toEqual({ ok: true, peers: [{ peerId: peerIdOf(seedToken), kind: 'node', have: 7, seeder: true }] });

    // The leecher joins without a manifest (the tracker knows it now) and is not listed to itself.
    expect(await request(leecher, 'announce', { files: [{ id, have: 2 }] })).toMatchObject({ ok: true, accepted: [id] });
    const w2 = await request(leecher, 'whohas', { id });
    expect(w2.peers.map((p: { peerId: string }) => p.peerId)).toEqual([peerIdOf(seedToken)]);
    const w3 = await request(seeder, 'whohas', { id });
    expect(w3.peers).toEqual([{ peerId: peerIdOf(leechToken), kind: 'browser', have: 2, seeder: false }]);

    // Re-announcing updates `have`; with every chunk the leecher becomes a seeder.
    await request(leecher, 'announce', { files: [{ id, have: 7 }] });
    const w4 = await request(seeder, 'whohas', { id });
    expect(w4.peers[0]).toMatchObject({ have: 7, seeder: true });
    const info = await t.get(`/api/files/${id}`);
    expect(info.body.file).toMatchObject({ seeders: 2, leechers: 0, announceCount: 3, name: 'holiday photos.zip' });
  });

  it('rejects a manifest that does not hash to its id, per file', async () => {
    const good = await makeManifest('good.bin');
    const other = await makeManifest('other.bin');
    const s = await t.connect();
    const ack = await request(s, 'announce', {
      files: [
        { id: good.id, manifest: good.manifest, have: 0 },
        { id: other.id, manifest: good.manifest, have: 0 }
      ]
    });
    expect(ack.ok).toBe(true);
    expect(ack.accepted).toEqual([good.id]);
    expect(ack.rejected).toEqual([{ id: other.id, code: 'MANIFEST_MISMATCH', message: expect.any(String) }]);
    expect(await request(s, 'manifest', { id: other.id })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await t.get('/api/stats')).body.rejectedFiles).toEqual({ MANIFEST_MISMATCH: 1 });
  });

  it('rejects per file: unknown id without manifest, malformed manifest, have beyond the chunk count', async () => {
    const a = await makeManifest('a.bin', 40_000); // 3 chunks
    const b = await makeManifest('b.bin');
    const c = await makeManifest('c.bin');
    const s = await t.connect();
    const ack = await request(s, 'announce', {
      files: [
        { id: a.id, manifest: a.manifest, have: 4 },
        { id: b.id, have: 0 },
        { id: c.id, manifest: { ...c.manifest, chunkHashes: ['zz'] }, have: 0 }
      ]
    });
    expect(ack.accepted).toEqual([]);
    expect(ack.rejected.map((r: { code: string }) => r.code)).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST']);
    // Verified manifests are not indexed when the entry is rejected for another reason.
    expect(await request(s, 'whohas', { id: a.id })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('whohas: NOT_FOUND for an unknown id, empty when known but nobody is online', async () => {
    const { id, manifest } = await makeManifest('lonely.txt');
    const s1 = await t.connect();
    const s2 = await t.connect();
    expect(await request(s2, 'whohas', { id })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    await request(s1, 'announce', { files: [{ id, manifest, have: 0 }] });
    expect(await request(s1, 'unannounce', { ids: [id] })).toEqual({ ok: true });
    expect(await request(s2, 'whohas', { id })).toEqual({ ok: true, peers: [] });
    expect((await request(s2, 'manifest', { id })).manifest).toEqual(manifest);
  });

  it('a second connection with the same token replaces the first', async () => {
    const token = randomToken();
    const { id, manifest } = await makeManifest('tab.txt');
    const first = await t.connect({ token });
    await request(first, 'announce', { files: [{ id, manifest, have: 3 }] });
    const gone = nextEvent(first, 'disconnect');
    const second = await t.connect({ token });
    expect(await gone).toBe('io server disconnect');
    expect((await request(second, 'hello', {})).peerId).toBe(peerIdOf(token));
    const other = await t.connect();
    // The old socket's swarms were left; the reloaded tab announces again.
    expect(await request(other, 'whohas', { id })).toEqual({ ok: true, peers: [] });
    const peers = await t.get('/api/peers');
    expect(peers.body.total).toBe(2);
  });

  it('keeps the first announcer\'s visibility', async () => {
    const { id, manifest } = await makeManifest('secret-plan.txt');
    const s1 = await t.connect();
    const s2 = await t.connect();
    await request(s1, 'announce', { files: [{ id, manifest, have: 3, visibility: 'unlisted' }] });
    await request(s2, 'announce', { files: [{ id, have: 3, visibility: 'public' }] });
    expect((await t.get(`/api/files/${id}`)).body.file.visibility).toBe('unlisted');
    expect((await request(s2, 'search', { q: 'secret' })).total).toBe(0);
  });
});
