import { linearBase } from '../playwright.config';
import { ADMIN, consentOnLinear, expect, hydrated, signIn, test } from './helpers';

// A workspace of its own (added to the stand-in here), so the other specs' workspaces are untouched.
const UMBRELLA_ID = '7e57a11e-0000-4000-8000-00000000abcd';

test('a dead grant becomes an incident on the workspace page and on /incidents, where it is acknowledged', async ({ page }) => {
  const added = await page.request.post(`${linearBase}/_control/org`, {
    data: { id: UMBRELLA_ID, name: 'Umbrella Corp', url_key: 'umbrella-corp', teams: ['OPS'] },
  });
  expect(added.ok()).toBeTruthy();
  await signIn(page, ADMIN, undefined, '/login?next=/workspaces/connect');
  await hydrated(page);
  await page.getByTestId('connect').click();
  await consentOnLinear(page, /Umbrella/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${UMBRELLA_ID}\\?notice=installed$`));
  await expect(page.getByTestId('no-incidents')).toBeVisible();

  // Linear loses the grant; the next check finds it.
  const revoked = await page.request.post(`${linearBase}/_control/revoke-grant`, { data: { org_id: UMBRELLA_ID } });
  expect(revoked.ok()).toBeTruthy();
  await hydrated(page);
  await page.getByTestId('check-now').click();
  await expect(page.getByTestId('health-panel').getByTestId('open-incident')).toContainText('Needs reconnect');
  await expect(page.getByTestId('incident')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('timeline')).toBeVisible();
  expect(await page.getByTestId('timeline').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  await page.getByRole('link', { name: 'Incidents', exact: true }).click();
  const card = page.getByTestId('incident').filter({ hasText: 'umbrella' });
  await expect(card).toHaveAttribute('data-kind', 'needs_reconnect');
  await expect(card.getByTestId('evidence')).toContainText('unauthenticated');
  await card.getByLabel('Note').fill('reconnecting after lunch');
  await card.getByTestId('acknowledge').click();
  await expect(page.getByTestId('notice')).toContainText('Acknowledged');
  await expect(page.getByTestId('incident').filter({ hasText: 'umbrella' }).getByTestId('acknowledged'))
    .toContainText('admin@example.com: reconnecting after lunch');
});

test('settings list the alert channels without their secret path, and a test alert reports its outcome', async ({ page }) => {
  await signIn(page, ADMIN, undefined, '/login?next=/settings');
  await hydrated(page);
  const channel = page.getByTestId('channel').filter({ hasText: 'webhook' });
  await expect(channel).toContainText('webhook 127.0.0.1:');
  expect(await page.content()).not.toContain('secret-part');
  // Where lifecycle events go, and where dropped requests are read from (found in the platform stack).
  await expect(page.getByTestId('events-to')).toHaveText('EventBridge bus default');
  await expect(page.getByTestId('processor-log')).toContainText('/aws/lambda/');
  await channel.getByTestId('test-alert').click();
  await expect(page.getByTestId('notice')).toContainText('failed');
});
