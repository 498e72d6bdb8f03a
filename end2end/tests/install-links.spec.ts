// Install links in the browser: an admin makes one, a Linear admin with no console session uses it
// to install a new workspace; a reconnect link brings a revoked one back; a used link and a link
// for another workspace write nothing.
import { linearBase } from '../playwright.config';
import { ADMIN, consentOnLinear, expect, signIn, test } from './helpers';

const NEW_ORG = '7e57a11e-0000-4000-8000-00000000f1e1';

test('a Linear admin with no console account installs a new workspace through a link, once', async ({ page, browser }) => {
  const added = await page.request.post(`${linearBase}/_control/org`, {
    data: { id: NEW_ORG, name: 'Hooli Labs', url_key: 'hooli-labs', teams: ['LAB'], projects: ['Search'] },
  });
  expect(added.ok()).toBeTruthy();
  await signIn(page, ADMIN);
  await page.goto('/workspaces/connect');
  await page.getByTestId('link-note-input').fill('Please install our coding agent.');
  await page.getByTestId('make-link-submit').click();
  await expect(page.getByTestId('notice')).toContainText('Install link made');
  const url = (await page.getByTestId('new-link-url').textContent())!.trim();
  expect(url).toMatch(/\/install\/[0-9a-f]{64}$/);
  await page.reload();
  await expect(page.getByTestId('new-link')).toHaveCount(0);
  await expect(page.getByTestId('link-row').first()).toHaveAttribute('data-status', 'waiting');

  const other = await browser.newContext();
  const linear = await other.newPage();
  await linear.goto(url);
  await expect(linear.getByTestId('asked-by')).toHaveText(ADMIN);
  await expect(linear.getByTestId('link-note')).toHaveText('Please install our coding agent.');
  await linear.getByTestId('stated-by').fill('Gavin Belson');
  await linear.getByTestId('continue-to-linear').click();
  await consentOnLinear(linear, /Hooli Labs/, 'Authorize');
  await expect(linear).toHaveURL(/\/install\/done\?result=installed&workspace=hooli-labs$/);
  await expect(linear.getByTestId('install-done')).toContainText('connected to linear.app/hooli-labs');
  // Used: the same link now opens nothing.
  await linear.goto(url);
  await expect(linear.getByTestId('link-unusable')).toBeVisible();
  await other.close();

  await page.goto('/workspaces/connect');
  const used = page.getByTestId('link-row').first();
  await expect(used).toHaveAttribute('data-status', 'used');
  await expect(used.getByTestId('link-use')).toContainText('hooli-labs');
  await expect(used.getByTestId('link-use')).toContainText('Gavin Belson');
  await page.goto(`/workspaces/${NEW_ORG}`);
  await expect(page.getByTestId('workspace-facts')).toContainText(ADMIN);
});

test('a reconnect link brings a revoked workspace back, and a link for another workspace writes nothing', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  // The workspace the first test installed, revoked here: only a Linear admin can consent again.
  await page.goto(`/workspaces/${NEW_ORG}`);
  await page.getByTestId('remove-panel').locator('summary').click();
  await page.getByTestId('confirm-slug').fill('hooli-labs');
  await page.getByTestId('revoke').click();
  await expect(page.getByTestId('steps-report')).toContainText('Every step completed');
  await expect(page.getByTestId('health-panel').getByTestId('health')).toHaveText('Revoked');
  await page.getByTestId('reconnect-link').locator('summary').click();
  await page.getByTestId('make-reconnect-link').click();
  await expect(page.getByTestId('notice')).toContainText('Install link made');
  const reconnect = (await page.getByTestId('new-link-url').textContent())!.trim();

  // A link only for acme-eng, used for Hooli Labs: refused.
  await page.getByTestId('link-only-for').fill('acme-eng');
  await page.getByTestId('make-link-submit').click();
  const bound = (await page.getByTestId('new-link-url').textContent())!.trim();

  const other = await browser.newContext();
  const linear = await other.newPage();
  await linear.goto(bound);
  await expect(linear.getByTestId('only-for')).toContainText('linear.app/acme-eng');
  await linear.getByTestId('continue-to-linear').click();
  await consentOnLinear(linear, /Hooli Labs/, 'Authorize');
  await expect(linear).toHaveURL(/\/install\/done\?error=link_wrong_workspace&grant=revoked/);
  await expect(linear.getByTestId('grant-fate')).toContainText('revoked');

  await linear.goto(reconnect);
  await expect(linear.getByTestId('install-landing')).toContainText('to reconnect the platform');
  await linear.getByTestId('continue-to-linear').click();
  await consentOnLinear(linear, /Hooli Labs/, 'Authorize');
  await expect(linear).toHaveURL(/\/install\/done\?result=reconnected&workspace=hooli-labs$/);
  await other.close();

  await page.goto(`/workspaces/${NEW_ORG}`);
  await expect(page.getByTestId('health-panel').getByTestId('health')).not.toHaveText('Revoked');
});
