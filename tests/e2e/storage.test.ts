import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPeer, saveDownload, sha256Hex as sha, shareFile } from '../helpers/app.ts';
import { browserWorld } from '../helpers/browser-world.ts';

const world = browserWorld('storage');
const context = () => world.tabs.newContext();


describe('storage failures in the browser', () => {
  it('says plainly when the browser refuses IndexedDB, and the page keeps working', async () => {
    const c = await context();
    await c.addInitScript(() => {
      IDBFactory.prototype.open = function () {
        throw new DOMException('IndexedDB is disabled in this profile', 'InvalidStateError');
      };
    });
    const page = await c.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(world.app.url);
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/refused storage \(IndexedDB\)/);
    // The download box still validates input: the page did not crash.
    await page.getByTestId('download-input').fill('zz');
    await page.getByTestId('download-go').click();
    await page.getByTestId('download-input-error').waitFor();
    expect(errors).toEqual([]);
  });

  it('stops a download with a clear message when storage is full, keeps what was stored, and resumes', async () => {
    const bytes = randomBytes(8 * 1024 * 1024);
    const path = join(world.dir, 'big.bin');
    await writeFile(path, bytes);
    const seeder = await (await context()).newPage();
    await openPeer(seeder, world.app.url);
    const { id } = await shareFile(seeder, path, 'big.bin');

    // In the downloader, chunk writes fail with QuotaExceededError after three, while a flag is set.
    const c = await context();
    await c.addInitScript(() => {
      const put = IDBObjectStore.prototype.put;
      let blobs = 0;
      IDBObjectStore.prototype.put = function (value: unknown, key?: IDBValidKey) {
        if (value instanceof Blob && localStorage.getItem('test.quota') === 'full' && ++blobs > 3) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return put.call(this, value, key);
      };
    });
    const page = await c.newPage();
    await page.goto(world.app.url);
    await page.evaluate(() => localStorage.setItem('test.quota', 'full'));
    await openPeer(page, world.app.url);
    await page.goto(`${world.app.url}/d/${id}`);
    await page.getByTestId('download-reason').filter({ hasText: 'Storage is full' }).waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('download-state').textContent()).resolves.toBe('failed');
    // Writes that were in flight when the quota error came still land and are counted: all three
    // 1 MiB chunks of 8, 37 %.
    const percent = async () => Number((await page.getByTestId('download-percent').textContent())!.replace('%', ''));
    const kept = Math.floor((3 / 8) * 100);
    await expect.poll(percent, { timeout: 10_000 }).toBe(kept);

    // Space freed: after a reload the download resumes from the stored chunks and completes.
    await page.evaluate(() => localStorage.removeItem('test.quota'));
    await page.reload();
    const resumed = Number((await page.getByTestId('download-percent').textContent({ timeout: 30_000 }))!.replace('%', ''));
    expect(resumed).toBeGreaterThanOrEqual(kept);
    expect(sha((await saveDownload(page, 60_000)).bytes)).toBe(sha(bytes));
  });

  it('frees the chunks of a share that stopped half-way when the tab opens again, and keeps the others', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    const path = join(world.dir, 'kept.bin');
    await writeFile(path, bytes);
    const page = await (await context()).newPage();
    await openPeer(page, world.app.url);
    await shareFile(page, path, 'kept.bin');
    /** The keys of the chunk store, read straight from IndexedDB. */
    const chunkKeys = () =>
      page.evaluate(
        () =>
          new Promise<string[]>((resolve, reject) => {
            const open = indexedDB.open('shoal');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              const req = db.transaction('chunks').objectStore('chunks').getAllKeys();
              req.onsuccess = () => {
                db.close();
                resolve(req.result as string[]);
              };
              req.onerror = () => reject(req.error);
            };
          })
      );
    const shared = await chunkKeys();
    expect(shared).toHaveLength(3);
    // What a tab closed mid-hash leaves: chunks stored, no file record referring to them.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('shoal');
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction('chunks', 'readwrite');
            tx.objectStore('chunks').put(new Blob(['orphan one']), 'f'.repeat(64));
            tx.objectStore('chunks').put(new Blob(['orphan two']), 'e'.repeat(64));
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        })
    );
    expect(await chunkKeys()).toHaveLength(5);
    await page.reload();
    await page.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await chunkKeys()).sort(), { timeout: 10_000 }).toEqual([...shared].sort());
    await page.getByTestId('my-file').filter({ hasText: 'kept.bin' }).waitFor({ timeout: 10_000 });
  });
});
