/**
 * What a person notices first: the header says what it counts (this tab's open connections, and
 * the peers online in the tracker's network), and file names break at spaces on a phone, while
 * ids may break anywhere.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { shareFile } from '../helpers/app.ts';
import { browserWorld } from '../helpers/browser-world.ts';

const world = browserWorld('names');


/** Peers the tracker itself lists, as a person would check on /api/health. */
async function trackerPeers(): Promise<number> {
  const body = (await (await fetch(`${world.app.url}/api/health`)).json()) as { peers: number };
  return body.peers;
}

/**
 * The words of an element's text that the layout split across two lines: a word whose range has
 * client rectangles on more than one line box.
 */
async function wordsSplitAcrossLines(page: Page, testId: string, hasText: string): Promise<string[]> {
  return page.getByTestId(testId).filter({ hasText }).first().evaluate((el) => {
    const text = el.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) throw new Error('expected the name as one text node');
    const split: string[] = [];
    const value = text.textContent ?? '';
    for (const match of value.matchAll(/\S+/g)) {
      const range = document.createRange();
      range.setStart(text, match.index);
      range.setEnd(text, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) split.push(match[0]);
    }
    return split;
  });
}

describe('header and names', () => {
  it('the header counts this tab’s connections and the network’s peers, as the tracker does', async () => {
    await world.tabs.newTab();
    expect(await trackerPeers()).toBe(1);
    // The second tab counts once it is online, so the first count it makes already sees both.
    const a = await world.tabs.newTab();
    expect(await trackerPeers()).toBe(2);
    // Two tabs online, no transfer between them: no connection, two peers in the network.
    await a.getByTestId('network-peer-count').filter({ hasText: '2 peers online' }).waitFor({ timeout: 20_000 });
    expect(await a.getByTestId('connection-count').textContent()).toBe('0 connections');
    world.tabs.assertNoErrors();
  });

  it('on a phone, a file name breaks at spaces, and only the id breaks inside a word', async () => {
    const context = await world.browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    try {
      const page = await context.newPage();
      await page.goto(world.app.url);
      await page.getByTestId('tracker-status').filter({ hasText: 'online' }).waitFor({ timeout: 20_000 });
      const name = 'Holiday photos 2026 from the coast and the mountains, all of them.zip';
      const path = join(world.dir, name);
      await writeFile(path, 'not really a zip');
      await shareFile(page, path, name);
      // The name is long enough to need more than one line at this width, so the check below means something.
      const height = await page.getByTestId('file-name').filter({ hasText: name }).evaluate((el) => el.getBoundingClientRect().height);
      const lineHeight = await page.getByTestId('file-name').filter({ hasText: name }).evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.2);
      expect(height).toBeGreaterThan(lineHeight * 1.5);
      expect(await wordsSplitAcrossLines(page, 'file-name', name)).toEqual([]);
      // The id is one 64-character word; it must break (at 360 px it cannot fit on one line) and stay inside the page.
      const idBox = await page.getByTestId('file-id').first().evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { right: r.right, width: document.documentElement.clientWidth, height: r.height, lineHeight: parseFloat(getComputedStyle(el).fontSize) * 1.2 };
      });
      expect(idBox.right).toBeLessThanOrEqual(idBox.width);
      expect(idBox.height).toBeGreaterThan(idBox.lineHeight * 1.5);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(360);
    } finally {
      await context.close();
    }
  });
});
