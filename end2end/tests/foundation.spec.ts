import { ADMIN, allowStatusPage, expect, FIRST_SIGN_IN, hydrated, signIn, test, USER } from './helpers';

test('an admin signs in and sees the shell with their email', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/workspaces$/);
  await expect(page.getByTestId('admin-email')).toHaveText(ADMIN);
  for (const name of ['Workspaces', 'Users', 'Audit']) {
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: 'Workspaces' })).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/workspaces$/);
});

test('a page asked for before sign-in is shown after it', async ({ page }) => {
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/login\?next=\/audit$/);
  await signIn(page, ADMIN, undefined, page.url());
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByTestId('audit-row').filter({ hasText: 'sign_in' }).first()).toBeVisible();
});

test('the theme toggle works in the browser without a server round trip', async ({ page }) => {
  await signIn(page, ADMIN);
  await hydrated(page);
  const html = page.locator('html');
  const before = (await html.getAttribute('class')) ?? '';
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.getByTestId('theme-toggle').click();
  const after = (await html.getAttribute('class')) ?? '';
  expect(after.includes('dark')).toBe(!before.includes('dark'));
  // The toggle is an island: it flips the class and saves the choice, asking the server nothing.
  expect(requests).toEqual([]);
  // Pages are server-rendered (islands): the next page keeps the choice from its first paint.
  await page.getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Platform users' })).toBeVisible();
  await expect(page.getByTestId('user-row').filter({ hasText: USER })).toBeVisible();
  await expect(html).toHaveClass(after.includes('dark') ? /dark/ : /^(?!.*dark)/);
  await page.reload();
  await expect(html).toHaveClass(after.includes('dark') ? /dark/ : /^(?!.*dark)/);
});

test('a wrong password shows one generic message', async ({ page }) => {
  await signIn(page, ADMIN, 'not-the-password');
  await expect(page.getByTestId('login-error')).toHaveText('Incorrect email or password.');
  await signIn(page, 'nobody@example.com', 'whatever-Pass1');
  await expect(page.getByTestId('login-error')).toHaveText('Incorrect email or password.');
});

test('a signed-in non-admin gets a 403 page naming the group', async ({ page }) => {
  allowStatusPage(page, 403);
  const statuses: number[] = [];
  page.on('response', (r) => { if (r.url().includes('/forbidden')) statuses.push(r.status()); });
  await signIn(page, USER);
  await expect(page.getByTestId('forbidden')).toContainText('linear-console-admins');
  expect(statuses).toContain(403);
  await page.goto('/workspaces');
  await expect(page).toHaveURL(/\/login/);
});

test('sign-out returns to the sign-in page and ends the session', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page.getByTestId('admin-email')).toBeVisible();
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login\?error=signed-out/);
  await expect(page.getByTestId('login-error')).toHaveText('You are signed out.');
  await page.goto('/workspaces');
  await expect(page).toHaveURL(/\/login\?next=\/workspaces/);
});

test('unknown paths get the 404 page', async ({ page }) => {
  allowStatusPage(page, 404);
  await signIn(page, ADMIN);
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'There is no page here' })).toBeVisible();
});

test('the registry shows the platform-written rows with the platform\'s reading', async ({ page }) => {
  await signIn(page, ADMIN);
  const rows = page.getByTestId('workspace-row');
  await expect(rows.filter({ hasText: 'acme-eng' })).toContainText('Active');
  await expect(rows.filter({ hasText: 'acme-eng' })).toContainText('ENG, OPS');
  await expect(rows.filter({ hasText: 'globex' })).toContainText('Revoked');
  const hooli = rows.filter({ hasText: 'hooli' });
  await expect(hooli).toContainText('Revoked');
  await expect(hooli.getByTestId('registry-status')).toHaveAttribute('title', 'stored status: suspended');
  await expect(rows.filter({ hasText: '9f8e7d6c…' })).toContainText('Not registered');
  // Token health, with its reason on hover: the fixture's acme-eng bundle is not in this moto.
  const health = (slug: string) => rows.filter({ hasText: slug }).getByTestId('health');
  await expect(health('acme-eng')).toHaveAttribute('data-health', 'reconnect');
  await expect(health('acme-eng')).toHaveAttribute('title', /no longer accepts|unusable/);
  await expect(health('globex')).toHaveAttribute('data-health', 'revoked');
  await expect(health('umbrella')).toHaveAttribute('data-health', 'vault');
  await expect(health('9f8e7d6c…')).toHaveAttribute('data-health', 'unregistered');
});

test('a registry view set in the filters lives in the URL and survives reload', async ({ page }) => {
  await signIn(page, ADMIN);
  await expect(page.getByTestId('attention')).toContainText('need attention');
  await page.getByTestId('filter-status').selectOption('revoked');
  await page.getByTestId('filter-sort').selectOption('installed');
  await page.getByTestId('apply').click();
  await expect(page).toHaveURL(/\/workspaces\?q=&status=revoked&sort=installed$/);
  const rows = page.getByTestId('workspace-row');
  await expect(rows.getByTestId('health')).toHaveText(['Revoked', 'Revoked', 'Revoked']);
  await page.reload();
  await expect(rows.getByTestId('health')).toHaveText(['Revoked', 'Revoked', 'Revoked']);
  await expect(page.getByTestId('filter-status')).toHaveValue('revoked');
  await page.getByTestId('filter-q').fill('glob');
  await page.getByTestId('apply').click();
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText('globex');
  // A count in the summary strip is a link to that view.
  await page.goto('/workspaces');
  await page.getByTestId('summary-count').filter({ hasText: 'Vault: not usable' }).click();
  await expect(page).toHaveURL(/status=vault$/);
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText('umbrella');
});

test('a first sign-in with a temporary password asks for a new one', async ({ page }) => {
  await signIn(page, FIRST_SIGN_IN);
  await expect(page).toHaveURL(/\/login\/new-password$/);
  await page.getByLabel('New password', { exact: true }).fill('Chosen-password-1');
  await page.getByLabel('Repeat new password').fill('Other-password-1');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('The two passwords differ.');
  await page.getByLabel('New password', { exact: true }).fill('Chosen-password-1');
  await page.getByLabel('Repeat new password').fill('Chosen-password-1');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page).toHaveURL(/\/workspaces$/);
  await expect(page.getByTestId('admin-email')).toHaveText(FIRST_SIGN_IN);
});

test('a view the page does not know is refused with a message naming the field', async ({ page }) => {
  allowStatusPage(page, 400);
  await signIn(page, ADMIN);
  await expect(page).toHaveURL(/\/workspaces$/);
  const res = await page.goto('/workspaces?status=fine');
  expect(res?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('status must be one of: healthy, expiring');
  await expect(page.getByTestId('workspace-row')).toHaveCount(0);
  await page.goto('/workspaces?status=revoked');
  await expect(page.getByTestId('workspace-row').first()).toBeVisible();
});
