import { request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/log.ts';
import { shoalTracker } from '../../server/vite-plugin.ts';
import { connectClient, makeManifest, request } from '../helpers/tracker.ts';

let vite: ViteDevServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await vite?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  vite = undefined;
  dir = undefined;
});

/** Sends a WebSocket upgrade request and resolves with the status the server answers. */
function upgradeStatus(port: number, path: string, protocol: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': protocol
      }
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
}

describe('vite plugin', () => {
  it('attaches Socket.IO and REST to the dev server and leaves HMR alone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-vite-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>dev</title>');
    vite = await createServer({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      plugins: [shoalTracker({ dataDir: join(dir, 'data'), log: silentLogger })],
      server: { port: 0, host: '127.0.0.1', strictPort: false }
    });
    await vite.listen();
    const port = (vite.httpServer!.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;

    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ ok: true, store: 'sqlite', storeState: 'ok', presence: 'memory', presenceState: 'ok', adapter: 'memory', adapterState: 'ok', peers: 0, files: 0 });
    expect(await (await fetch(`${url}/`)).text()).toContain('<title>dev</title>');

    const s = await connectClient(url);
    try {
      const { id, manifest } = await makeManifest('dev.bin');
      expect(await request(s, 'announce', { files: [{ id, manifest, have: 3 }] })).toMatchObject({ ok: true, accepted: [id] });
      expect((await (await fetch(`${url}/api/files/${id}`)).json()).file.seeders).toBe(1);
      // Vite's HMR WebSocket still upgrades on the same port.
      expect(await upgradeStatus(port, '/', 'vite-hmr')).toBe(101);
    } finally {
      s.close();
    }
  });
});
