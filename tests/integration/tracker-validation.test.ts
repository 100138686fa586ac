import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RATE_LIMITS } from '../../src/lib/tracker/constants.ts';
import { connectClient, makeManifest, nextEvent, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(async () => {
  await t.close();
});

/** The server still serves an honest client after whatever happened before. */
async function stillHealthy(): Promise<void> {
  const honest = await t.connect();
  const { id, manifest } = await makeManifest('honest.txt');
  expect(await request(honest, 'announce', { files: [{ id, manifest, have: 3 }] })).toMatchObject({ ok: true, accepted: [id] });
  expect((await request(honest, 'search', { q: 'honest' })).total).toBe(1);
  honest.close();
}

describe('tracker: handshake', () => {
  const cases: [string, unknown][] = [
    ['no auth', {}],
    ['short token', { token: 'abc', kind: 'browser' }],
    ['long token', { token: 'a'.repeat(129), kind: 'browser' }],
    ['bad characters', { token: `${'a'.repeat(40)}!`, kind: 'browser' }],
    ['token not a string', { token: 12345, kind: 'browser' }],
    ['unknown kind', { token: 'a'.repeat(40), kind: 'robot' }],
    ['missing kind', { token: 'a'.repeat(40) }]
  ];
  for (const [name, auth] of cases) {
    it(`refuses ${name} with BAD_AUTH`, async () => {
      await expect(connectClient(t.url, { auth })).rejects.toThrow(/^BAD_AUTH: /);
    });
  }

  it('counts refused handshakes and keeps serving', async () => {
    await expect(connectClient(t.url, { auth: { token: 'x' } })).rejects.toThrow(/BAD_AUTH/);
    expect((await t.get('/api/stats')).body.connections.badAuth).toBe(1);
    await stillHealthy();
  });

  it('accepts the polling transport as well', async () => {
    const s = await t.connect({ transports: ['polling'] });
    expect((await request(s, 'hello', {})).ok).toBe(true);
  });
});

describe('tracker: bad payloads', () => {
  const id = 'a'.repeat(64);
  const bad: [string, unknown][] = [
    ['hello', 'text'],
    ['hello', 42],
    ['hello', null],
    ['hello', [1, 2]],
    ['announce', {}],
    ['announce', { files: [] }],
    ['announce', { files: 'all' }],
    ['announce', { files: [{ id: 'nothex', have: 0 }] }],
    ['announce', { files: [{ id: id.toUpperCase(), have: 0 }] }],
    ['announce', { files: [{ id, have: -1 }] }],
    ['announce', { files: [{ id, have: 1.5 }] }],
    ['announce', { files: [{ id, have: 0, visibility: 'secret' }] }],
    ['announce', { files: [{ id, have: 0, manifest: 'm' }] }],
    ['announce', { files: Array.from({ length: 501 }, () => ({ id, have: 0 })) }],
    ['unannounce', { ids: [] }],
    ['unannounce', { ids: ['x'] }],
    ['whohas', { id: 'x'.repeat(100_000) }],
    ['whohas', {}],
    ['manifest', { id: 7 }],
    ['signal', { to: 'short', data: {} }],
    ['signal', { to: 'b'.repeat(32) }],
    ['signal', { to: 'b'.repeat(32), data: 'x'.repeat(17 * 1024) }],
    ['search', { q: 'x'.repeat(201) }],
    ['search', { q: 'x'.repeat(500_000) }],
    ['search', { q: 5 }],
    ['search', { q: 'a', limit: 0 }],
    ['search', { q: 'a', limit: 101 }],
    ['search', { q: 'a', offset: -1 }],
    ['nosuchevent', {}]
  ];
  for (const [event, payload] of bad) {
    const label = JSON.stringify(payload)?.slice(0, 60);
    it(`${event} ${label} → BAD_REQUEST`, async () => {
      const s = await t.connect();
      const ack = await request(s, event, payload);
      expect(ack).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.any(String) });
      expect(ack.message.length).toBeLessThanOrEqual(300);
    });
  }

  it('answers an ack for two payloads or none, ignores a missing ack, and stays up', async () => {
    const s = await t.connect();
    expect(await s.timeout(5000).emitWithAck('hello')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await s.timeout(5000).emitWithAck('hello', {}, {})).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    s.emit('announce', { files: [] });
    s.emit('hello', {});
    s.emit('search');
    // Binary payloads are not plain objects.
    expect(await request(s, 'whohas', Buffer.from('hi'))).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await request(s, 'hello', {})).toMatchObject({ ok: true });
    const stats = (await t.get('/api/stats')).body;
    expect(stats.noAck).toBe(3);
    expect(stats.rejected.BAD_REQUEST).toBe(3);
    await stillHealthy();
  });

  it('drops a connection whose message exceeds the 2 MiB buffer, and only that one', async () => {
    const big = await t.connect();
    const closed = nextEvent(big, 'disconnect');
    big.emit('search', { q: 'x'.repeat(3 * 1024 * 1024) }, () => undefined);
    expect(await closed).toMatch(/transport close|transport error/);
    await stillHealthy();
  });

  it('rejects a manifest larger than 1.5 MiB at the schema', async () => {
    const s = await t.connect();
    const manifest = { version: 1, name: 'x', size: 1, mimeType: '', chunkSize: 16384, chunkHashes: Array(24_000).fill('ab'.repeat(32)) };
    const ack = await request(s, 'announce', { files: [{ id, manifest, have: 0 }] });
    expect(ack).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(ack.message).toMatch(/manifest/);
  });
});

describe('tracker: rate limits', () => {
  it('answers RATE_LIMITED past the burst and disconnects a connection that keeps going', async () => {
    // On a clock that stands still no token comes back: exactly the burst of 20 searches goes
    // through, whatever the machine's speed.
    await t.close();
    const frozen = Date.now();
    t = await startTestTracker({ now: () => frozen });
    const s = await t.connect();
    const closed = nextEvent(s, 'disconnect', 10_000);
    const acks = await Promise.all(
      Array.from({ length: 60 }, () => s.timeout(5000).emitWithAck('search', { q: 'x' }).catch(() => ({ ok: false, code: 'TIMEOUT' })))
    );
    const limited = acks.filter((a) => a.code === 'RATE_LIMITED').length;
    expect(acks.filter((a) => a.ok).length).toBe(RATE_LIMITS.search.burst);
    expect(limited).toBe(60 - RATE_LIMITS.search.burst);
    for (let i = 0; i < 250 && s.connected; i++) s.emit('search', { q: 'x' }, () => undefined);
    expect(await closed).toBe('io server disconnect');
    const stats = (await t.get('/api/stats')).body;
    expect(stats.rejected.RATE_LIMITED).toBeGreaterThanOrEqual(limited);
    expect(stats.connections.abusive).toBe(1);
    await stillHealthy();
  });
});
