import { expect, test } from '@playwright/test';
import { hydrated, PASSWORD, signIn } from './helpers';

// Each role sees only the buttons it may use; the server refuses the rest anyway (server tests).
const VIEWER = 'viewer@example.com';
const OPERATOR = 'operator@example.com';

test.beforeEach(async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  (page as any).__problems = problems;
});

test.afterEach(async ({ page }) => {
  expect((page as any).__problems).toEqual([]);
});

async function openAcme(page: import('@playwright/test').Page) {
  await page.getByTestId('workspace-row').filter({ hasText: 'acme-eng' }).getByRole('link').first().click();
  await expect(page.getByTestId('workspace-title')).toHaveText('acme-eng');
}

test('a viewer reads every page and is offered no change', async ({ page }) => {
  await signIn(page, VIEWER, PASSWORD, '/login?next=/workspaces');
  await hydrated(page);
  await expect(page.getByTestId('role')).toHaveText('viewer');
  await expect(page.getByTestId('workspace-row').first()).toBeVisible();
  await expect(page.getByTestId('connect-workspace')).toHaveCount(0);
  await openAcme(page);
  await expect(page.getByTestId('workspace-facts')).toBeVisible();
  for (const id of ['check-now', 'refresh-token', 'reconnect', 'remove-panel']) {
    await expect(page.getByTestId(id)).toHaveCount(0);
  }
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByTestId('audit-filters')).toBeVisible();
  await expect(page.getByTestId('audit-csv')).toHaveCount(0);
});

test('an operator checks and refreshes but neither reconnects nor removes', async ({ page }) => {
  await signIn(page, OPERATOR, PASSWORD, '/login?next=/workspaces');
  await hydrated(page);
  await expect(page.getByTestId('role')).toHaveText('operator');
  await expect(page.getByTestId('connect-workspace')).toHaveCount(0);
  await openAcme(page);
  await expect(page.getByTestId('check-now')).toBeVisible();
  await expect(page.getByTestId('refresh-token')).toBeVisible();
  await expect(page.getByTestId('reconnect')).toHaveCount(0);
  await expect(page.getByTestId('remove-panel')).toHaveCount(0);
  await page.getByTestId('check-now').click();
  await expect(page.getByTestId('notice')).toBeVisible();
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByTestId('audit-csv')).toBeVisible();
});
