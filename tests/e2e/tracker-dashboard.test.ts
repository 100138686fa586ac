// The tracker dashboard (/tracker) and statistics (/tracker/stats) in Chromium against the real
// server with the production build: live counts, hostile file names shown as text, unlisted
// files never shown, SVG charts. Run: node scripts/netns-run.mjs npx vitest run --project e2e tests/e2e/tracker-dashboard.test.ts
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { collectPageErrors, launchChromium, type PageErrorCollector } from '../helpers/chromium.ts';
import { connectClient, makeManifest, peerIdOf, randomToken, request, type ClientSocket } from '../helpers/tracker.ts';

const EVIL = '<img src=x onerror=alert(1)>';
const UNLISTED = 'unlisted-secret-diary.txt';

let app: TestApp;
let browser: Browser;
let page: Page;
let errors: PageErrorCollector;
const dialogs: string[] = [];
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  app = await startTestApp({ dashboardIntervalMs: 200, statsIntervalMs: 400 });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  page = await context.newPage();
  errors = collectPageErrors(page, { ignore: [/favicon/] });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => undefined);
  });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  errors?.dispose();
  await browser?.close();
  await app?.close();
});

async function peersOnline(): Promise<number> {
  return (await (await fetch(`${app.url}/api/stats`)).json()).peers.peers;
}

describe('tracker dashboard', () => {
  let unlistedId: string;
  let publicId: string;
  const token = randomToken();

  it('shows live counts, connected peers and public files, with a hostile name as plain text', async () => {
    await page.goto(`${app.url}/tracker`);
    await page.getByTestId('feed-status').filter({ hasText: 'live' }).waitFor({ timeout: 20_000 });

    const peer = await connectClient(app.url, { token, kind: 'node' });
    sockets.push(peer);
    const evil = await makeManifest(EVIL, 40_000);
    const hidden = await makeManifest(UNLISTED, 40_000);
    publicId = evil.id;
    unlistedId = hidden.id;
    const ack = await request(peer, 'announce', {
      files: [
        { id: evil.id, manifest: evil.manifest, have: 3 },
        { id: hidden.id, manifest: hidden.manifest, have: 3, visibility: 'unlisted' }
      ]
    });
    expect(ack).toMatchObject({ ok: true, accepted: [evil.id, hidden.id] });

    // The hostile name is a link's text, exactly as announced.
    const name = page.getByTestId('top-file-name');
    await name.waitFor({ timeout: 10_000 });
    expect(await name.textContent()).toBe(EVIL);
    expect(await name.getAttribute('href')).toBe(`/d/${evil.id}`);
    expect(await page.getByTestId('top-file-seeders').textContent()).toBe('1');

    // Peer count: the fake node peer and this tab's own peer (every page runs one).
    const expected = await peersOnline();
    expect(expected).toBeGreaterThanOrEqual(1);
    await page.getByTestId('peers-online').filter({ hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('overview').textContent()).resolves.toContain('1 node');
    const shortId = peerIdOf(token).slice(0, 8);
    await page.getByTestId('peer-row').filter({ hasText: shortId }).waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('peer-row').filter({ hasText: shortId }).textContent()).resolves.toMatch(/node\s*2\s*2/);

    // No element was made from the name, and nothing ran.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('[onerror]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    const html = await page.content();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(UNLISTED);
    expect(html).not.toContain(unlistedId);
    expect(html).not.toContain(unlistedId.slice(0, 8));
  });

  it('follows peers going away, live', async () => {
    const before = await peersOnline();
    const extra = await connectClient(app.url, { kind: 'browser' });
    await page.getByTestId('peers-online').filter({ hasText: new RegExp(`^${before + 1}$`) }).waitFor({ timeout: 10_000 });
    extra.close();
    await page.getByTestId('peers-online').filter({ hasText: new RegExp(`^${before}$`) }).waitFor({ timeout: 10_000 });
  });

  it('draws the statistics as SVG line charts with titles and data tables, readable at phone width', async () => {
    // Wait for a few history points written with the peer online.
    const online = async () => (await (await fetch(`${app.url}/api/stats/history?minutes=5`)).json()).points.filter((p: { nodePeers: number }) => p.nodePeers === 1).length;
    await expect.poll(online, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${app.url}/tracker/stats`);
    const charts = page.getByTestId('chart');
    await charts.first().waitFor({ timeout: 10_000 });
    expect(await charts.count()).toBeGreaterThanOrEqual(3);
    const svgs = page.locator('[data-testid="chart"] svg[role="img"]');
    expect(await svgs.count()).toBe(await charts.count());
    // Each chart is labelled by its title and described by a summary.
    for (const chart of ['peers', 'files', 'transfers']) {
      const svg = page.locator(`[data-chart="chart-${chart}"] svg`);
      const labelledBy = (await svg.getAttribute('aria-labelledby'))!.split(' ');
      expect(labelledBy).toHaveLength(2);
      expect((await page.locator(`[id="${labelledBy[0]}"]`).textContent())!.length).toBeGreaterThan(3);
      expect(await page.locator(`[id="${labelledBy[1]}"]`).textContent()).toMatch(/now/);
    }
    // The peers chart has a drawn line and its data table.
    const line = page.locator('[data-chart="chart-peers"] path[data-testid="chart-line"]').first();
    await expect.poll(async () => ((await line.getAttribute('d')) ?? '').length, { timeout: 10_000 }).toBeGreaterThan(10);
    await page.locator('[data-chart="chart-peers"] summary').click();
    expect(await page.locator('[data-chart="chart-peers"] details table tbody tr').count()).toBeGreaterThan(0);
    // Phone width: nothing wider than the screen.
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      svgs: [...document.querySelectorAll('svg')].map((s) => s.getBoundingClientRect().right)
    }));
    expect(widths.page).toBeLessThanOrEqual(375);
    for (const right of widths.svgs) expect(right).toBeLessThanOrEqual(375);

    // Live: a new point appears without reloading.
    const info = page.getByTestId('history-info');
    const count = async () => Number(((await info.textContent()) ?? '').match(/^\s*([\d,]+) point/)?.[1]?.replace(/,/g, '') ?? 0);
    const first = await count();
    await expect.poll(count, { timeout: 10_000 }).toBeGreaterThan(first);

    const html = await page.content();
    expect(html).not.toContain(UNLISTED);
    expect(html).not.toContain(unlistedId);
    expect(publicId).toMatch(/^[0-9a-f]{64}$/);
    expect(dialogs).toEqual([]);
    errors.assertNone();
  });
});
