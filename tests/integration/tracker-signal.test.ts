import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeManifest, nextEvent, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(async () => {
  await t.close();
});

async function peer(kind: 'browser' | 'node' = 'browser') {
  const token = randomToken();
  const socket = await t.connect({ token, kind });
  return { socket, id: peerIdOf(token) };
}

describe('tracker: signal relay', () => {
  it('relays between peers of one swarm and stamps `from` itself', async () => {
    const { id, manifest } = await makeManifest('shared.bin');
    const a = await peer();
    const b = await peer();
    await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(b.socket, 'announce', { files: [{ id, have: 0 }] });
    const got = nextEvent(b.socket, 'signal');
    const data = { type: 'offer', sdp: 'v=0\r\n...', from: 'someone-else' };
    expect(await request(a.socket, 'signal', { to: b.id, data, from: 'forged' })).toEqual({ ok: true });
    expect(await got).toEqual({ from: a.id, data });
  });

  it('refuses a stranger with FORBIDDEN, and nothing reaches the target', async () => {
    const a = await peer();
    const b = await peer();
    let received = 0;
    b.socket.on('signal', () => received++);
    expect(await request(a.socket, 'signal', { to: b.id, data: { hi: 1 } })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    await request(b.socket, 'hello', {}); // a round trip, so a stray signal would have arrived
    expect(received).toBe(0);
    expect((await t.get('/api/stats')).body.rejected.FORBIDDEN).toBe(1);
  });

  it('allows a peer returned by whohas, and the target may then answer', async () => {
    const { id, manifest } = await makeManifest('found.bin');
    const seeder = await peer('node');
    const asker = await peer();
    await request(seeder.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    // Not in the swarm, not asked yet: forbidden both ways.
    expect((await request(asker.socket, 'signal', { to: seeder.id, data: 1 })).code).toBe('FORBIDDEN');
    expect((await request(seeder.socket, 'signal', { to: asker.id, data: 1 })).code).toBe('FORBIDDEN');
    const w = await request(asker.socket, 'whohas', { id });
    expect(w.peers.map((p: { peerId: string }) => p.peerId)).toEqual([seeder.id]);
    const offer = nextEvent(seeder.socket, 'signal');
    expect(await request(asker.socket, 'signal', { to: seeder.id, data: { type: 'offer' } })).toEqual({ ok: true });
    expect(await offer).toEqual({ from: asker.id, data: { type: 'offer' } });
    const answer = nextEvent(asker.socket, 'signal');
    expect(await request(seeder.socket, 'signal', { to: asker.id, data: { type: 'answer' } })).toEqual({ ok: true });
    expect(await answer).toEqual({ from: seeder.id, data: { type: 'answer' } });
    expect((await t.get('/api/stats')).body.signalsRelayed).toBe(2);
  });

  it('answers PEER_GONE for a target that is not connected, BAD_REQUEST for oneself', async () => {
    const a = await peer();
    expect(await request(a.socket, 'signal', { to: 'c'.repeat(32), data: {} })).toMatchObject({ ok: false, code: 'PEER_GONE' });
    expect(await request(a.socket, 'signal', { to: a.id, data: {} })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });

  it('answers PEER_GONE once a permitted target has left', async () => {
    const { id, manifest } = await makeManifest('leaving.bin');
    const a = await peer();
    const b = await peer();
    await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(b.socket, 'whohas', { id });
    a.socket.close();
    await expect.poll(async () => (await t.get('/api/peers')).body.total).toBe(1);
    expect(await request(b.socket, 'signal', { to: a.id, data: {} })).toMatchObject({ ok: false, code: 'PEER_GONE' });
  });

  it('limits data to 16 KiB of JSON', async () => {
    const { id, manifest } = await makeManifest('big-signal.bin');
    const a = await peer();
    const b = await peer();
    await request(a.socket, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(b.socket, 'announce', { files: [{ id, have: 0 }] });
    const fits = { sdp: 'x'.repeat(16 * 1024 - 20) };
    expect(await request(a.socket, 'signal', { to: b.id, data: fits })).toEqual({ ok: true });
    const tooBig = { sdp: 'é'.repeat(9 * 1024) }; // 9 Ki characters, 18 KiB of UTF-8
    expect(await request(a.socket, 'signal', { to: b.id, data: tooBig })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });
});
