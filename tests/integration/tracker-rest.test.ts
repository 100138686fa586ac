import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeManifest, peerIdOf, randomToken, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

let t: TestTracker;
beforeEach(async () => {
  t = await startTestTracker();
});
afterEach(async () => {
  await t.close();
});

describe('tracker: REST API', () => {
  it('GET /api/health', async () => {
    const r = await t.get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, store: 'sqlite', storeState: 'ok', presence: 'memory', presenceState: 'ok', adapter: 'memory', adapterState: 'ok', peers: 0, files: 0 });
  });

  it('GET /api/stats counts peers, files, events and rejections', async () => {
    const s = await t.connect({ kind: 'node' });
    const { id, manifest } = await makeManifest('stats.bin');
    await request(s, 'announce', { files: [{ id, manifest, have: 3 }] });
    await request(s, 'whohas', { id: 'f'.repeat(64) });
    await request(s, 'hello', 'nope');
    const r = await t.get('/api/stats');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ok: true,
      peers: { peers: 1, browser: 0, node: 1, swarms: 1, seeders: 1, leechers: 0 },
      files: { indexed: 1, active: 1 },
      connections: { total: 1, current: 1 },
      events: { announce: 1, whohas: 1, hello: 1 },
      rejected: { NOT_FOUND: 1, BAD_REQUEST: 1 },
      announces: { files: 1, newFiles: 1 }
    });
    expect(r.body.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it('GET /api/files searches like the socket event, and validates its parameters', async () => {
    const s = await t.connect();
    const { id, manifest } = await makeManifest('Report Final.pdf');
    await request(s, 'announce', { files: [{ id, manifest, have: 3 }] });
    const r = await t.get('/api/files?q=report%20final&limit=5&offset=0');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, total: 1, results: [{ id, name: 'Report Final.pdf', seeders: 1, leechers: 0 }] });
    expect((await t.get('/api/files')).body.total).toBe(1);
    expect((await t.get(`/api/files?q=${encodeURIComponent('name="Report Final.pdf"')}`)).body.total).toBe(1);
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'limit=1.5', `q=${'x'.repeat(201)}`]) {
      const b = await t.get(`/api/files?${bad}`);
      expect(b.status, bad).toBe(400);
      expect(b.body).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.any(String) });
    }
  });

  it('GET /api/files/:id returns the file with its manifest; 400 for a bad id, 404 for an unknown one', async () => {
    const s = await t.connect();
    const { id, manifest } = await makeManifest('detail.txt', 40_000);
    await request(s, 'announce', { files: [{ id, manifest, have: 1 }] });
    const r = await t.get(`/api/files/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ok: true,
      file: {
        id,
        name: 'detail.txt',
        size: 40_000,
        mimeType: 'application/octet-stream',
        chunkSize: 16_384,
        chunks: 3,
        visibility: 'public',
        firstSeen: expect.any(Number),
        lastSeen: expect.any(Number),
        announceCount: 1,
        seeders: 0,
        leechers: 1,
        manifest
      }
    });
    expect((await t.get(`/api/files/${id}/`)).status).toBe(200);
    for (const bad of ['xyz', id.toUpperCase(), id.slice(1), `${id}0`, '%E0%A4%A']) {
      const b = await t.get(`/api/files/${bad}`);
      expect(b.status, bad).toBe(400);
      expect(b.body.code).toBe('BAD_REQUEST');
    }
    const missing = await t.get(`/api/files/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('GET /api/peers lists online peers with paging', async () => {
    const token = randomToken();
    const s = await t.connect({ token, kind: 'node' });
    await t.connect();
    const { id, manifest } = await makeManifest('p.bin');
    await request(s, 'announce', { files: [{ id, manifest, have: 3 }] });
    const r = await t.get('/api/peers');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.peers[0]).toEqual({
      peerId: peerIdOf(token),
      kind: 'node',
      files: 1,
      seeding: 1,
      leeching: 0,
      connectedAt: expect.any(Number),
      lastSeen: expect.any(Number)
    });
    expect((await t.get('/api/peers?limit=1&offset=1')).body.peers).toHaveLength(1);
    expect((await t.get('/api/peers?limit=0')).status).toBe(400);
    expect((await t.get('/api/peers?offset=x')).status).toBe(400);
  });

  it('is read-only, leaves other paths to the site, and sends JSON headers', async () => {
    const post = await fetch(`${t.url}/api/health`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    const r = await fetch(`${t.url}/api/health`);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await t.get('/')).status).toBe(404);
    expect((await t.get('/api/unknown')).status).toBe(404);
  });
});

describe('server: site handler', () => {
  it('passes non-API requests to the handler, after the API', async () => {
    const site = await startTestTracker({
      handler: (req, res, next) => {
        if (req.url === '/hello') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('site');
        } else if (req.url === '/boom') {
          throw new Error('boom');
        } else next();
      }
    });
    try {
      expect(await (await fetch(`${site.url}/hello`)).text()).toBe('site');
      expect((await site.get('/nothing')).status).toBe(404);
      expect((await site.get('/boom')).status).toBe(500);
      expect((await site.get('/api/health')).body.ok).toBe(true);
      const s = await site.connect();
      expect((await request(s, 'hello', {})).ok).toBe(true);
    } finally {
      await site.close();
    }
  });
});
