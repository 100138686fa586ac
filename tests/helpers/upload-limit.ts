/**
 * Test helper: sets a browser tab's upload limit through its peer page (KiB/s, 0 for unlimited),
 * waits until the page shows it, and goes back to the home page. A limit takes effect at once,
 * also for uploads already running, so tests use it to order what peers do: a seeder held at a
 * crawl cannot serve a whole file before another peer is asked.
 */
import type { Page } from 'playwright-core';

export async function limitUpload(page: Page, kib: number): Promise<void> {
  await page.getByRole('link', { name: 'This peer' }).click();
  await page.getByTestId('upload-limit').fill(String(kib));
  await page.getByTestId('upload-limit-set').click();
  await page.getByTestId('upload-limit-now').filter({ hasText: kib ? `${kib} KiB/s` : 'unlimited' }).waitFor();
  await page.getByRole('link', { name: 'Share' }).click();
}
