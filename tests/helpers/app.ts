/**
 * Test helper: the real Shoal server (tracker + the production SvelteKit build) on 127.0.0.1
 * port 0, its SQLite file in a temporary directory. Needs `npm run build` first (npm test does it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { startShoalServer, type RequestHandler, type ShoalServer, type ShoalServerOptions } from '../../server/shoal-server.ts';

export interface TestApp {
  url: string;
  server: ShoalServer;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestApp(opts: Partial<ShoalServerOptions> = {}): Promise<TestApp> {
  const handlerPath = resolve('build/handler.js');
  if (!existsSync(handlerPath)) throw new Error(`No production build at ${handlerPath}: run \`npm run build\` first (npm test does).`);
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as { handler: RequestHandler };
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'shoal-e2e-')));
  const server = await startShoalServer({ host: '127.0.0.1', port: 0, ...opts, dataDir, handler });
  return {
    url: server.url,
    server,
    dataDir,
    async close() {
      await server.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  };
}

/** Opens the site and waits until this tab's peer is connected to the tracker. */
export async function openPeer(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 20_000 });
}

/** Shares a file from disk through the page's file input; returns its content id and share link. */
export async function shareFile(page: Page, path: string, name: string): Promise<{ id: string; link: string }> {
  await page.getByTestId('file-input').setInputFiles(path);
  const item = page.getByTestId('my-file').filter({ hasText: name });
  await item.waitFor({ timeout: 60_000 });
  const id = (await item.getByTestId('file-id').textContent())!.trim();
  const link = (await item.getByTestId('share-link').getAttribute('href'))!;
  return { id, link };
}
