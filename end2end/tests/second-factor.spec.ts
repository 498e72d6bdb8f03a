import { ADMIN, expect, PASSWORD, signIn, test, totp } from './helpers';

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
