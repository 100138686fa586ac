import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { saveDownload, sha256Hex as sha, shareFile } from '../helpers/app.ts';
import { browserWorld } from '../helpers/browser-world.ts';

const world = browserWorld('swarm-trade');

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes from the UI's formatBytes text ("8.00 MiB"). */
function bytesOf(text: string): number {
  const m = /([\d.]+)\s*(B|KiB|MiB|GiB)/.exec(text);
  if (!m) throw new Error(`not a byte count: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** This tab's totals from its peer page: bytes uploaded and downloaded since it started. */
async function totals(page: Page): Promise<{ up: number; down: number }> {
  await page.getByRole('link', { name: 'This peer' }).click();
  const row = page.getByTestId('peer-totals');
  await row.waitFor();
  const [up, down] = await Promise.all([row.locator('span').nth(0).locator('strong').textContent(), row.locator('span').nth(1).locator('strong').textContent()]);
  return { up: bytesOf(up!), down: bytesOf(down!) };
}


describe('a flash crowd of browser tabs', () => {
  it('five downloading tabs get most of their bytes from each other, not from the upload-limited seeder', async () => {
    const size = 8 * 1024 * 1024;
    const bytes = randomBytes(size);
    const path = join(world.dir, 'crowd.bin');
    await writeFile(path, bytes);

    // The seeder: upload-limited, and super-seeding, so it hands each chunk to one downloader
    // only (while that one stays connected and for up to 2 min). By construction it uploads one
    // copy, 8 MiB, of the 40 MiB the five downloaders receive: every other copy must move
    // between downloaders, however fast or slow any connection is.
    const seeder = await world.tabs.newTab();
    await seeder.getByRole('link', { name: 'This peer' }).click();
    await seeder.getByTestId('upload-limit').fill('1024');
    await seeder.getByTestId('upload-limit-set').click();
    await seeder.getByTestId('upload-limit-now').filter({ hasText: '1024 KiB/s' }).waitFor();
    await seeder.getByTestId('super-seed').check();
    await seeder.getByRole('link', { name: 'Share' }).click();
    const { link } = await shareFile(seeder, path, 'crowd.bin');

    // Five tabs, opened together on the link.
    const crowd = await Promise.all(Array.from({ length: 5 }, () => world.tabs.newTab()));
    await Promise.all(crowd.map((t) => t.goto(link)));
    const saved = await Promise.all(crowd.map((t) => saveDownload(t, 150_000)));
    for (const s of saved) expect(sha(s.bytes)).toBe(sha(bytes));

    // The pages refresh their counters once a second, so a counter read right after the last
    // chunk can still miss it. Wait until every counter has caught up with the finished
    // transfers: each downloader counts at least the whole file (more if an endgame copy also
    // arrived), and every byte received is counted as sent by the seeder or a downloader (the
    // counters show three significant digits, hence 1%). Then judge where the bytes came from.
    const read = async () => {
      const seederUp = (await totals(seeder)).up;
      const mine = await Promise.all(crowd.map(totals));
      return { seederUp, mine, down: mine.reduce((n, t) => n + t.down, 0), upByCrowd: mine.reduce((n, t) => n + t.up, 0) };
    };
    let counted = await read();
    await expect
      .poll(
        async () => {
          counted = await read();
          return counted.mine.every((t) => t.down >= size * 0.99) && counted.seederUp + counted.upByCrowd >= counted.down * 0.99;
        },
        { timeout: 20_000 }
      )
      .toBe(true);
    const { seederUp, down, upByCrowd } = counted;
    // What the downloaders received did not come from the seeder: at least half of it, by the
    // seeder's own counter and by the downloaders' own upload counters.
    expect(seederUp).toBeLessThanOrEqual(down / 2);
    expect(down - seederUp).toBeGreaterThanOrEqual(down / 2);
    expect(upByCrowd).toBeGreaterThanOrEqual(down / 2);
  }, 240_000);

  it('logged no page errors', () => {
    world.tabs.assertNoErrors();
  });
});
