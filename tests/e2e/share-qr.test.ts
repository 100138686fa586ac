import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, type PageErrorCollector } from '../helpers/chromium.ts';
import { openPeer, shareFile } from '../helpers/app.ts';
import { QR_QUIET_ZONE_MODULES } from '../../src/lib/ui/constants.ts';
import { browserWorld } from '../helpers/browser-world.ts';

// The share-link area on the home page and the download page: a QR code a phone camera reads
// (decoded here from a screenshot of what the page draws), Copy, and the Web Share button where
// the browser has navigator.share.

const world = browserWorld('qr');
let filePath: string;
const collectors: PageErrorCollector[] = [];

beforeAll(async () => {
  filePath = join(world.dir, 'menu card.txt');
  await writeFile(filePath, randomBytes(70_000));
});

/** A tab whose context first runs `init` in every page (to take navigator.share away or stub it). */
async function tabWith(init: string, grantClipboard = false): Promise<Page> {
  const context = await world.tabs.newContext();
  if (grantClipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.app.url });
  await context.addInitScript(init);
  const page = await context.newPage();
  collectors.push(collectPageErrors(page, { ignore: [/favicon/] }));
  await openPeer(page, world.app.url);
  return page;
}

const WITHOUT_SHARE = 'delete Navigator.prototype.share; delete navigator.share;';
const RECORDING_SHARE = `
  window.__shared = [];
  Navigator.prototype.share = async function (data) { window.__shared.push(data); };
`;

/** Screenshot of the drawn QR code, decoded; also checks the quiet zone around the symbol is white. */
async function decodeQr(qr: Locator): Promise<string> {
  const png = PNG.sync.read(await qr.screenshot());
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(result, 'a QR code is found in the screenshot').not.toBeNull();
  // Modules across, quiet zone included: the version's 17 + 4 * version, plus the zone each side.
  const modules = 17 + 4 * result!.version + 2 * QR_QUIET_ZONE_MODULES;
  const zone = Math.floor((png.width / modules) * QR_QUIET_ZONE_MODULES) - 1;
  let dark = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const inZone = x < zone || y < zone || x >= png.width - zone || y >= png.height - zone;
      if (inZone && png.data[(y * png.width + x) * 4] < 128) dark++;
    }
  }
  expect(dark, 'dark pixels in the quiet zone').toBe(0);
  return result!.data;
}

describe('share link: QR code, Copy, Share', () => {
  let seeder: Page;
  let shared: { id: string; link: string };

  it('home page: the QR code opens on demand from the keyboard and decodes to the share link', async () => {
    seeder = await tabWith(WITHOUT_SHARE);
    shared = await shareFile(seeder, filePath, 'menu card.txt');
    const item = seeder.getByTestId('my-file').filter({ hasText: 'menu card.txt' });
    const toggle = item.getByTestId('qr-toggle');
    // Closed at first, so the list stays compact.
    expect(await item.getByTestId('share-qr').count()).toBe(0);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.focus();
    await seeder.keyboard.press('Enter');
    const qr = item.getByTestId('share-qr');
    await qr.waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await qr.getAttribute('role')).toBe('img');
    expect(await qr.getAttribute('aria-label')).toContain(shared.link);
    expect(await decodeQr(qr)).toBe(shared.link);
    // Closed again by the same button.
    await toggle.click();
    await qr.waitFor({ state: 'detached' });
  });

  it('without navigator.share there is no Share button (home and download page)', async () => {
    const item = seeder.getByTestId('my-file').filter({ hasText: 'menu card.txt' });
    // The row is rendered (its Copy button is there) and has no Share button.
    await item.getByTestId('copy-link').waitFor();
    expect(await item.getByTestId('share-native').count()).toBe(0);
    const leecher = await tabWith(WITHOUT_SHARE);
    await leecher.goto(shared.link);
    await leecher.getByTestId('copy-link').waitFor();
    expect(await leecher.getByTestId('share-native').count()).toBe(0);
  });

  it('download page at phone width: the QR code fits the screen and decodes to the link; Copy copies it', async () => {
    const leecher = await tabWith(WITHOUT_SHARE, true);
    await leecher.setViewportSize({ width: 360, height: 740 });
    await leecher.goto(shared.link);
    expect(await leecher.getByTestId('share-link').getAttribute('href')).toBe(shared.link);
    await leecher.getByTestId('qr-toggle').click();
    const qr = leecher.getByTestId('share-qr');
    await qr.waitFor();
    const box = (await qr.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(box.width).toBeGreaterThanOrEqual(200); // large enough for a camera at arm's length
    // Nothing on the page (link, buttons, QR code) makes it scroll sideways.
    expect(await leecher.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await decodeQr(qr)).toBe(shared.link);
    await leecher.getByTestId('copy-link').click();
    await leecher.getByTestId('copy-link').filter({ hasText: 'Copied' }).waitFor();
    expect(await leecher.evaluate(() => navigator.clipboard.readText())).toBe(shared.link);
  });

  it('with navigator.share the Share button hands the link to the system share sheet (home and download page)', async () => {
    const sharer = await tabWith(RECORDING_SHARE);
    const { link } = await shareFile(sharer, filePath, 'menu card.txt');
    expect(link).toBe(shared.link);
    const shares = () => sharer.evaluate(() => (window as unknown as { __shared: ShareData[] }).__shared);
    await sharer.getByTestId('my-file').filter({ hasText: 'menu card.txt' }).getByTestId('share-native').click();
    await expect.poll(shares).toEqual([{ title: 'menu card.txt', url: shared.link }]);
    await sharer.goto(shared.link);
    await sharer.getByTestId('download-name').filter({ hasText: 'menu card.txt' }).waitFor();
    await sharer.getByTestId('share-native').click();
    await expect.poll(shares).toEqual([{ title: 'menu card.txt', url: shared.link }]);
  });

  it('logged no page errors', () => {
    world.tabs.assertNoErrors();
    for (const c of collectors) c.assertNone();
  });
});
