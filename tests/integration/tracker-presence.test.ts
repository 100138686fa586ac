import { afterEach, describe, expect, it } from 'vitest';
import { makeManifest, nextEvent, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('tracker: presence', () => {
  it('a peer whose socket closes leaves every swarm', async () => {
    t = await startTestTracker();
    const f1 = await makeManifest('one.bin');
    const f2 = await makeManifest('two.bin');
    const a = await t.connect();
    const b = await t.connect();
    await request(a, 'announce', { files: [{ id: f1.id, manifest: f1.manifest, have: 3 }, { id: f2.id, manifest: f2.manifest, have: 1 }] });
    expect((await request(b, 'whohas', { id: f1.id })).peers).toHaveLength(1);
    a.close();
    await expect.poll(async () => (await t!.get('/api/peers')).body.total).toBe(1);
    expect(await request(b, 'whohas', { id: f1.id })).toEqual({ ok: true, peers: [] });
    expect(await request(b, 'whohas', { id: f2.id })).toEqual({ ok: true, peers: [] });
    const stats = (await t.get('/api/stats')).body;
    expect(stats.peers).toMatchObject({ peers: 1, swarms: 0, seeders: 0, leechers: 0 });
    expect(stats.files).toEqual({ indexed: 2, active: 0, bytesAnnounced: 0 });
  });

  it('a silent peer expires after expiryMs and is disconnected; one that heartbeats stays', async () => {
    // The tracker's clock stands still until the test moves it (its sweep still runs every
    // 150 ms), so which peer has been silent longer than the expiry is fixed by the test, not by
    // how promptly a loaded machine delivers heartbeats.
    const t0 = Date.now();
    let clock = t0;
    t = await startTestTracker({ heartbeatMs: 100, expiryMs: 600, now: () => clock });
    const { id, manifest } = await makeManifest('expiring.bin');
    const silentToken = randomToken();
    const silent = await t.connect({ token: silentToken });
    const alive = await t.connect();
    expect(await request(alive, 'hello', {})).toMatchObject({ heartbeatMs: 100, expiryMs: 600 });
    await request(silent, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(alive, 'announce', { files: [{ id, have: 1 }] });
    clock = t0 + 500; // both silent for 500 ms: neither expired yet
    expect(await request(alive, 'heartbeat', {})).toEqual({ ok: true }); // alive is seen at t0 + 500
    expect((await request(alive, 'whohas', { id })).peers).toHaveLength(1);
    const dropped = nextEvent(silent, 'disconnect', 5_000);
    clock = t0 + 700; // silent for 700 ms, past the expiry; alive for 200 ms
    expect(await dropped).toBe('io server disconnect');
    const w = await request(alive, 'whohas', { id });
    expect(w).toEqual({ ok: true, peers: [] });
    expect(alive.connected).toBe(true);
    const stats = (await t.get('/api/stats')).body;
    expect(stats.connections.expired).toBe(1);
    expect(stats.peers.peers).toBe(1);
    const info = (await t.get(`/api/files/${id}`)).body.file;
    expect(info).toMatchObject({ seeders: 0, leechers: 1 });
  });

  it('heartbeat acks ok', async () => {
    t = await startTestTracker();
    const s = await t.connect();
    expect(await request(s, 'heartbeat', {})).toEqual({ ok: true });
  });
});
