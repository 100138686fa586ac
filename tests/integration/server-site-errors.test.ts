/**
 * The server around the site handler: a static file that vanished since startup (the site
 * rebuilt under a running server) must cost one request, not the process.
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/log.ts';
import { startShoalServer, type ShoalServer } from '../../server/shoal-server.ts';
import { startTrackerProcess } from '../helpers/tracker-process.ts';

let server: ShoalServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
});

describe('server: errors of the site handler', () => {
  it('answers 404 for a file gone from disk, before or after the headers, and keeps serving', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-site-'));
    const missing = join(dir, 'gone.js');
    server = await startShoalServer({
      dataDir: dir,
      log: silentLogger,
      // Like sirv: a read stream piped into the response, with or without headers written first.
      handler: (req, res) => {
        if (req.url === '/late.js') res.writeHead(200, { 'content-type': 'text/javascript', 'content-length': '10' });
        createReadStream(missing).pipe(res);
      }
    });
    const early = await fetch(`${server.url}/gone.js`);
    expect(early.status).toBe(404);
    expect(await early.text()).toBe('Not found');
    await expect(fetch(`${server.url}/late.js`).then((r) => r.text())).rejects.toThrow();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
  });
});

describe('server: start-up errors', () => {
  it('says which port is taken instead of printing a stack', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as { port: number };
    try {
      const err = await startTrackerProcess({ port }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: another program uses that port`));
      expect((err as Error).message).not.toMatch(/at Server\./);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
