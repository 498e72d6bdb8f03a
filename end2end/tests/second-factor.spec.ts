import { ADMIN, expect, PASSWORD, secondConsole, signIn, test, totp } from './helpers';

// The local pool's MFA is off, as the platform's: the console keeps its own second factor.
test('on a pool with MFA off an admin enrols the console\'s authenticator, signs in with it once per code, and with a recovery code once', async ({ page, browser }) => {
  await signIn(page, ADMIN, PASSWORD, '/login?next=/profile');
  await expect(page.getByTestId('mfa-state')).toHaveAttribute('data-kind', 'console');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('mfa-start').click();
  await expect(page.getByTestId('mfa-qr')).toBeVisible();
  const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
  const first = totp(secret);
  await page.getByLabel('Code from the app').fill(first);
  await page.getByTestId('mfa-verify').click();
  await expect(page.getByTestId('notice')).toContainText('now your second factor');
  await expect(page.getByTestId('recovery-code')).toHaveCount(10);
  const recovery = (await page.getByTestId('recovery-code').first().textContent())!.trim();
  await page.getByTestId('codes-saved').click();
  await expect(page.getByTestId('notice')).toContainText('will not be shown again');
  await expect(page.getByTestId('recovery-codes')).toHaveCount(0);
  await expect(page.getByTestId('recovery-left')).toHaveText('10 unused');

  // Signed out, back in: the enrolment's code is refused (used), the next one works.
  await page.getByTestId('sign-out').click();
  await signIn(page, ADMIN, PASSWORD, '/login?next=/audit');
  await expect(page).toHaveURL(/\/login\/mfa$/);
  await page.getByLabel('Code').fill(first);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page.getByTestId('login-error')).toContainText('not the one your authenticator app shows');
  await page.getByLabel('Code').fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page).toHaveURL(/\/audit$/);

  // Without the app: a recovery code, once.
  for (const expected of ['signs in', 'refused']) {
    const context = await browser.newContext();
    const other = await context.newPage();
    await signIn(other, ADMIN, PASSWORD, '/login?next=/workspaces');
    await expect(other).toHaveURL(/\/login\/mfa$/);
    await other.getByLabel('Code').fill(recovery);
    await other.getByRole('button', { name: 'Verify and sign in' }).click();
    if (expected === 'signs in') await expect(other).toHaveURL(/\/workspaces$/);
    else await expect(other.getByTestId('login-error')).toBeVisible();
    await context.close();
  }

  // An admin's reset (here their own, from the users page) ends it: sign-in asks no code again.
  await page.goto('/users?email=admin');
  await page.getByTestId('user-row').filter({ hasText: ADMIN }).getByTestId('user-sessions').click();
  await page.getByTestId('reset-factor').click();
  await page.getByTestId('confirm-reset-factor').click();
  await expect(page.getByText('Second factor reset')).toBeVisible();
  await page.getByTestId('sign-out').click();
  await signIn(page, ADMIN, PASSWORD, '/login?next=/workspaces');
  await expect(page).toHaveURL(/\/workspaces$/);
});

// The shared stack runs without CONSOLE_REQUIRE_MFA_FOR_ADMINS: a second console with it, on the same
// tables and the same MFA-off pool.
test('with CONSOLE_REQUIRE_MFA_FOR_ADMINS=1 an admin without a factor is sent to enrol first, and reaches the pages once enrolled', async ({ browser }) => {
  const strict = await secondConsole(3320, { CONSOLE_REQUIRE_MFA_FOR_ADMINS: '1' });
  try {
    const context = await browser.newContext({ baseURL: strict.base });
    const page = await context.newPage();
    await signIn(page, ADMIN, PASSWORD, '/login?next=/workspaces');
    await expect(page).toHaveURL(/\/profile\?enrol=required$/);
    await expect(page.getByTestId('mfa-state')).toHaveAttribute('data-kind', 'console');
    await page.goto('/workspaces');
    await expect(page).toHaveURL(/\/profile\?enrol=required$/);
    // The enrolment was started at sign-in: the secret is on the page, no password asked again.
    const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByTestId('mfa-verify').click();
    await expect(page.getByTestId('notice')).toContainText('now your second factor');
    await page.getByTestId('codes-saved').click();
    await page.goto('/workspaces');
    await expect(page).toHaveURL(/\/workspaces$/);
    await expect(page.getByRole('heading', { name: 'Workspaces' })).toBeVisible();
    await context.close();

    // Back to no factor, for the specs after this one: reset on the shared console (a code asked now).
    const shared = await browser.newContext();
    const admin = await shared.newPage();
    await signIn(admin, ADMIN, PASSWORD, '/login?next=/users?email=admin');
    await expect(admin).toHaveURL(/\/login\/mfa$/);
    await admin.getByLabel('Code').fill(totp(secret, 1));
    await admin.getByRole('button', { name: 'Verify and sign in' }).click();
    await admin.getByTestId('user-row').filter({ hasText: ADMIN }).getByTestId('user-sessions').click();
    await admin.getByTestId('reset-factor').click();
    await admin.getByTestId('confirm-reset-factor').click();
    await expect(admin.getByText('Second factor reset')).toBeVisible();
    await shared.close();
  } finally {
    strict.stop();
  }
});
