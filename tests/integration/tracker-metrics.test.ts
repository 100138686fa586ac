import { afterEach, describe, expect, it } from 'vitest';
import type { IndexStore } from '../../src/lib/tracker/index-store.ts';
import { MemoryIndexStore } from '../../src/lib/tracker/memory-index-store.ts';
import { turnPassword } from '../../server/turn-credentials.ts';
import { makeManifest, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The value of one sample line (`name{labels} value`) in a Prometheus text body. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('tracker: GET /metrics (Prometheus text format)', () => {
  it('counts peers, swarms, announces, signals relayed and rejected messages', async () => {
    t = await startTestTracker();
    const a = await t.connect({ kind: 'node' });
    const b = await t.connect({ kind: 'browser', token: randomToken() });
    const { id, manifest } = await makeManifest('metrics.bin');
    expect(await request(a, 'announce', { files: [{ id, manifest, have: 3 }] })).toMatchObject({ ok: true });
    const who = await request(b, 'whohas', { id });
    const seeder = who.peers[0].peerId as string;
    expect(await request(b, 'signal', { to: seeder, data: { sdp: 'x' } })).toEqual({ ok: true });
    await request(b, 'hello', 'not an object');
    await request(b, 'whohas', { id: 'f'.repeat(64) });

    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE shoal_peers gauge');
    expect(text).toContain('# TYPE shoal_signals_relayed_total counter');
    expect(sample(text, 'shoal_peers{kind="node"}')).toBe(1);
    expect(sample(text, 'shoal_peers{kind="browser"}')).toBe(1);
    expect(sample(text, 'shoal_swarms')).toBe(1);
    expect(sample(text, 'shoal_swarm_members{role="seeder"}')).toBe(1);
    expect(sample(text, 'shoal_files_indexed')).toBe(1);
    expect(sample(text, 'shoal_announces_total')).toBe(1);
    expect(sample(text, 'shoal_signals_relayed_total')).toBe(1);
    expect(sample(text, 'shoal_rejected_messages_total{code="BAD_REQUEST"}')).toBe(1);
    expect(sample(text, 'shoal_rejected_messages_total{code="NOT_FOUND"}')).toBe(1);
    expect(sample(text, 'shoal_store_up{store="sqlite"}')).toBe(1);
    expect(sample(text, 'shoal_adapter_up{adapter="memory"}')).toBe(1);
    expect(sample(text, 'shoal_events_total{event="signal"}')).toBe(1);
    // Every sample line is `name{labels} number`.
    for (const line of text.trim().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?\d+(\.\d+)?$/);
    }
    expect((await fetch(`${t.url}/metrics`, { method: 'HEAD' })).status).toBe(200);
  });

  it('health says 503 with storeState error when the index store fails; metrics still answer', async () => {
    const store: IndexStore = new MemoryIndexStore();
    store.countFiles = () => Promise.reject(new Error('database is down'));
    t = await startTestTracker({ store });
    const h = await t.get('/api/health');
    expect(h.status).toBe(503);
    expect(h.body).toEqual({ ok: false, store: 'memory', storeState: 'error', presence: 'memory', presenceState: 'ok', adapter: 'memory', adapterState: 'ok', peers: 0, files: null });
    const m = await fetch(`${t.url}/metrics`);
    expect(m.status).toBe(200);
    const text = await m.text();
    expect(sample(text, 'shoal_store_up{store="memory"}')).toBe(0);
    expect(text).not.toContain('shoal_files_indexed ');
  });
});

describe('tracker: ICE configuration in hello', () => {
  it('hands each peer its own short-lived TURN credentials (coturn use-auth-secret) and the transport policy', async () => {
    t = await startTestTracker({
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
      turn: { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 'test-secret', ttlSeconds: 600 },
      iceTransportPolicy: 'relay'
    });
    const token = randomToken();
    const s = await t.connect({ token });
    const before = Math.floor(Date.now() / 1000);
    const hello = await request(s, 'hello', {});
    const after = Math.ceil(Date.now() / 1000);
    expect(hello).toMatchObject({ ok: true, iceTransportPolicy: 'relay' });
    expect(hello.iceServers).toHaveLength(2);
    expect(hello.iceServers[0]).toEqual({ urls: 'stun:127.0.0.1:3478' });
    const turn = hello.iceServers[1];
    expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    const [expiry, peerId] = (turn.username as string).split(':');
    expect(peerId).toBe(peerIdOf(token));
    // Valid for the TTL (600 s) from the moment of the hello, which lies between before and after.
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(turn.credential).toBe(turnPassword('test-secret', turn.username));
    // The secret itself never reaches a client.
    expect(JSON.stringify(hello)).not.toContain('test-secret');
  });

  it('without TURN settings hello is as before: the configured servers and policy all', async () => {
    t = await startTestTracker();
    const s = await t.connect();
    expect(await request(s, 'hello', {})).toMatchObject({ ok: true, iceServers: [], iceTransportPolicy: 'all' });
  });
});
