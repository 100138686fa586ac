import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveDownload, sha256Hex as sha, shareFile } from '../helpers/app.ts';
import { browserWorld } from '../helpers/browser-world.ts';

const SIZE = 9 * 1024 * 1024 + 12345; // over 8 MiB and not a whole number of chunks

const world = browserWorld('files');
let original: Buffer;
let filePath: string;

const newPeer = (): Promise<Page> => world.tabs.newTab();
const saveFromDownloadPage = (page: Page) => saveDownload(page);

beforeAll(async () => {
  original = randomBytes(SIZE);
  filePath = join(world.dir, 'holiday photos.bin');
  await writeFile(filePath, original);
});

describe('browser tab to browser tab', () => {
  let seeder: Page;
  let shared: { id: string; link: string };

  it('shares a file: hashed in a worker, stored, announced, with id and share link', async () => {
    seeder = await newPeer();
    shared = await shareFile(seeder, filePath, 'holiday photos.bin');
    expect(shared.id).toMatch(/^[0-9a-f]{64}$/);
    expect(shared.link).toBe(`${world.app.url}/d/${shared.id}`);
    // The tracker knows the file and its seeder.
    const res = await fetch(`${world.app.url}/api/files/${shared.id}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.file.name).toBe('holiday photos.bin');
  });

  it('downloads through the share link, verifies, and saves the same bytes under the same name', async () => {
    const leecher = await newPeer();
    await leecher.goto(shared.link);
    const saved = await saveFromDownloadPage(leecher);
    expect(saved.name).toBe('holiday photos.bin');
    expect(saved.bytes.length).toBe(SIZE);
    expect(sha(saved.bytes)).toBe(sha(original));
  });

  it('downloads through an id pasted on the home page, and the tracker then lists every seeder', async () => {
    const leecher = await newPeer();
    await leecher.getByTestId('download-input').fill(`  ${shared.id.toUpperCase()}  `);
    await leecher.getByTestId('download-go').click();
    await leecher.waitForURL(`**/d/${shared.id}`);
    const saved = await saveFromDownloadPage(leecher);
    expect(sha(saved.bytes)).toBe(sha(original));
    // Every finished download seeds at once: the original seeder, the first leecher and this one.
    // (This leecher announces itself after completing, so wait for it rather than read once.)
    const seeders = async () => (await (await fetch(`${world.app.url}/api/files/${shared.id}`)).json()).file.seeders;
    await expect.poll(seeders, { timeout: 20_000 }).toBe(3);
  });

  it('shows a clear error for a malformed id and for an unknown id, and the page keeps working', async () => {
    const page = await newPeer();
    await page.getByTestId('download-input').fill('not-an-id');
    await page.getByTestId('download-go').click();
    await expect(page.getByTestId('download-input-error').textContent()).resolves.toMatch(/64 hex/);
    await page.goto(`${world.app.url}/d/${'ab'.repeat(32)}`);
    await expect(page.getByTestId('download-error').filter({ hasText: 'No file with this id' }).textContent()).resolves.toBeTruthy();
    await page.goto(`${world.app.url}/d/xyz`);
    await expect(page.getByTestId('download-error').textContent()).resolves.toMatch(/Not a content id/);
  });

  it('survives a seeder serving corrupt chunks: detected, dropped, file intact from the honest seeder', async () => {
    // The order is fixed so that the liar is certainly asked: it is the only seeder until the
    // leecher has caught and dropped it, and only then does the honest seeder join. (With both
    // online from the start, the honest one could serve every chunk before the liar was asked.)
    const small = randomBytes(5 * 1024 * 1024 + 7); // 6 chunks of 1 MiB
    const smallPath = join(world.dir, 'report.pdf');
    await writeFile(smallPath, small);
    const liar = await newPeer();
    const { id } = await shareFile(liar, smallPath, 'report.pdf');
    // The liar's stored chunks are overwritten with garbage of the same length under the same keys
    // (a share stores every chunk before its file record, so all 6 are there).
    const corrupted = await liar.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => {
        const r = indexedDB.open('shoal');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const keys: IDBValidKey[] = await new Promise((res) => {
        const r = db.transaction('chunks').objectStore('chunks').getAllKeys();
        r.onsuccess = () => res(r.result);
      });
      const sizes: number[] = await Promise.all(
        keys.map((k) => new Promise<number>((res) => {
          const r = db.transaction('chunks').objectStore('chunks').get(k);
          r.onsuccess = () => res((r.result as Blob).size);
        }))
      );
      const garbage = (n: number) => {
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
        return new Blob([b]);
      };
      const tx = db.transaction('chunks', 'readwrite');
      keys.forEach((k, i) => tx.objectStore('chunks').put(garbage(sizes[i]), k));
      await new Promise((res) => (tx.oncomplete = res));
      db.close();
      return keys.length;
    });
    expect(corrupted).toBe(6);
    const leecher = await newPeer();
    await leecher.goto(`${world.app.url}/d/${id}`);
    // Only the liar has the file: the leecher must ask it, detect the bad chunks and drop it.
    const problems = leecher.getByTestId('peer-problems');
    await problems.filter({ hasText: 'PEER_DROPPED' }).waitFor({ timeout: 60_000 });
    expect(await problems.textContent()).toContain('CHUNK_HASH_MISMATCH');
    expect(await leecher.getByTestId('download-state').textContent()).not.toContain('Complete');
    // Now the honest seeder joins; the waiting download finds it and completes with good bytes.
    const honest = await newPeer();
    expect((await shareFile(honest, smallPath, 'report.pdf')).id).toBe(id);
    const saved = await saveFromDownloadPage(leecher);
    expect(sha(saved.bytes)).toBe(sha(small));
  });

  it('logged no page errors', () => {
    world.tabs.assertNoErrors();
  });
});
