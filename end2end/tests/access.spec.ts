import { ADMIN, expect, hydrated, PASSWORD, signIn, test, totp } from './helpers';

// Each role sees only the buttons it may use; the server refuses the rest anyway (server tests).
const VIEWER = 'viewer@example.com';
const OPERATOR = 'operator@example.com';

async function openAcme(page: import('@playwright/test').Page) {
  await page.getByTestId('workspace-row').filter({ hasText: 'acme-eng' }).getByRole('link').first().click();
  await expect(page.getByTestId('workspace-title')).toHaveText('acme-eng');
}

test('a viewer reads every page and is offered no change', async ({ page, browser }) => {
  // An admin signs in elsewhere first: their sign-in is in the audit log the viewer reads.
  const admin = await browser.newContext();
  await signIn(await admin.newPage(), ADMIN, PASSWORD, '/login?next=/workspaces');
  await admin.close();
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
  // People's emails are masked for a viewer (the admin's sign-ins are in the log), their own is not.
  const audit = await page.locator('main').innerText();
  expect(audit).not.toContain(ADMIN);
  expect(audit).toContain('a***@example.com');
  await expect(page.getByTestId('admin-email')).toHaveText(VIEWER);
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

test('a member enrols an authenticator app on their profile and then signs in with its code', async ({ page }) => {
  await signIn(page, VIEWER, PASSWORD, '/login?next=/workspaces');
  await hydrated(page);
  await page.getByTestId('admin-email').click();
  await expect(page.getByTestId('mfa-state')).toHaveAttribute('data-enabled', 'false');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('mfa-start').click();
  await expect(page.getByTestId('mfa-qr')).toBeVisible();
  const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByTestId('mfa-verify').click();
  await expect(page.getByTestId('notice')).toContainText('now your second factor');
  await expect(page.getByTestId('mfa-state')).toHaveAttribute('data-enabled', 'true');

  await page.getByTestId('sign-out').click();
  await signIn(page, VIEWER, PASSWORD, '/login?next=/audit');
  await expect(page).toHaveURL(/\/login\/mfa$/);
  // The next step's code: the enrolment's own is not taken twice.
  await page.getByLabel('Code').fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page).toHaveURL(/\/audit$/);
});
