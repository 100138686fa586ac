import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeManifest, request, startTestTracker, type TestTracker } from '../helpers/tracker.ts';

const running: TestTracker[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('tracker: index persistence', () => {
  it('keeps files, manifests and visibility across a restart with the same data dir, but not presence', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-persist-'));
    const pub = await makeManifest('Quarterly Report.pdf');
    const hidden = await makeManifest('quarterly-hidden.pdf');

    const first = await startTestTracker({ dataDir: dir });
    running.push(first);
    const s = await first.connect();
    await request(s, 'announce', {
      files: [
        { id: pub.id, manifest: pub.manifest, have: 3 },
        { id: hidden.id, manifest: hidden.manifest, have: 3, visibility: 'unlisted' }
      ]
    });
    await first.close();
    expect((await stat(join(dir, 'tracker.sqlite'))).isFile()).toBe(true);

    const second = await startTestTracker({ dataDir: dir });
    running.push(second);
    const c = await second.connect();
    expect(await request(c, 'manifest', { id: pub.id })).toEqual({ ok: true, manifest: pub.manifest });
    expect(await request(c, 'whohas', { id: pub.id })).toEqual({ ok: true, peers: [] });
    const found = await request(c, 'search', { q: 'quarterly' });
    expect(found.total).toBe(1);
    expect(found.results[0]).toMatchObject({ id: pub.id, name: 'Quarterly Report.pdf', seeders: 0, leechers: 0 });
    const info = (await second.get(`/api/files/${hidden.id}`)).body.file;
    expect(info).toMatchObject({ visibility: 'unlisted', announceCount: 1 });
    expect((await second.get('/api/health')).body).toEqual({ ok: true, store: 'sqlite', storeState: 'ok', presence: 'memory', presenceState: 'ok', adapter: 'memory', adapterState: 'ok', peers: 1, files: 2 });
    // A known file can be announced without its manifest after the restart.
    expect(await request(c, 'announce', { files: [{ id: pub.id, have: 0 }] })).toMatchObject({ accepted: [pub.id] });
  });

  it('close() is idempotent', async () => {
    const t = await startTestTracker();
    await Promise.all([t.server.close(), t.server.close()]);
    await t.server.close();
    await t.close();
  });
});
