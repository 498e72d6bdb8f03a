// What people see: a url key two active rows claim is flagged on both rows and on the overview,
// and times read as people read them (relative, the exact time on hover).
import { linearBase } from '../playwright.config';
import { ADMIN, consentOnLinear, expect, hydrated, signIn, test } from './helpers';

// A second organization whose url key the fixture's active `umbrella` row already claims.
const TWIN_ID = '7e57a11e-0000-4000-8000-0000000071e5';
const FIXTURE_UMBRELLA = '2d3e4f50-6172-4839-a4b5-c6d7e8f90a1b';

test('a url key claimed by two active rows is flagged on both and on the overview', async ({ page }) => {
  const added = await page.request.post(`${linearBase}/_control/org`, {
    data: { id: TWIN_ID, name: 'Umbrella Twin', url_key: 'umbrella', teams: ['LAB'] },
  });
  expect(added.ok()).toBeTruthy();
  await signIn(page, ADMIN, undefined, '/login?next=/workspaces/connect');
  await hydrated(page);
  await page.getByTestId('connect').click();
  await consentOnLinear(page, /Umbrella Twin/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${TWIN_ID}\\?notice=installed$`));
  await expect(page.getByTestId('slug-shared')).toContainText(`claims the url key umbrella: ${FIXTURE_UMBRELLA}`);

  await page.goto('/workspaces');
  await expect(page.getByTestId('shared-slugs')).toContainText('Url key claimed by more than one active row: umbrella.');
  const flagged = page.getByTestId('workspace-row').filter({ has: page.getByTestId('slug-shared') });
  await expect(flagged).toHaveCount(2);
  await page.goto(`/workspaces/${FIXTURE_UMBRELLA}`);
  await expect(page.getByTestId('slug-shared')).toContainText(TWIN_ID);
});

test('times are relative with the exact time on hover, and the overview fits 1,280 pixels', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${TWIN_ID}`);
  const installed = page.getByTestId('time-fact').first().locator('time');
  await expect(installed).toHaveText(/^(just now|\d+ min ago)$/);
  await expect(installed).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await expect(page.getByTestId('history-entry').first().locator('time')).toHaveAttribute('title', /UTC$/);
  await page.goto('/workspaces');
  const installedBy = page.getByTestId('installed-by').first();
  await expect(installedBy).toBeVisible();
  const box = await installedBy.boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
  // Neither the page nor the table's own scroller needs scrolling sideways.
  const widths = await page.evaluate(() => {
    const scroller = document.querySelector('[data-testid=workspace-row]')!.closest('.overflow-x-auto') as HTMLElement;
    return { page: document.documentElement.scrollWidth, table: scroller.scrollWidth, shown: scroller.clientWidth };
  });
  expect(widths.page).toBeLessThanOrEqual(1280);
  expect(widths.table).toBeLessThanOrEqual(widths.shown);
});
