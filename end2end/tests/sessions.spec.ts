import { expect, PASSWORD, signIn, test, ADMIN } from './helpers';

// Sessions you can see and end: a member from /profile, an admin from /users.
const OPERATOR = 'operator@example.com';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7; rv:133.0) Gecko/20100101 Firefox/133.0';

test('a member ends one of their two sessions from the profile and the other keeps working', async ({ page, browser }) => {
  const other = await browser.newContext({ userAgent: FIREFOX_MAC });
  const elsewhere = await other.newPage();
  await signIn(elsewhere, OPERATOR, PASSWORD, '/login?next=/workspaces');
  await expect(elsewhere).toHaveURL(/\/workspaces$/);

  await signIn(page, OPERATOR, PASSWORD, '/login?next=/profile');
  await expect(page).toHaveURL(/\/profile$/);
  const sessions = page.getByTestId('session');
  await expect(sessions.filter({ has: page.getByTestId('this-session') })).toHaveCount(1);
  const mac = sessions.filter({ hasText: 'Firefox on macOS' });
  await expect(mac).toHaveCount(1);
  await mac.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('notice')).toContainText('Signed out');
  await expect(page.getByTestId('session').filter({ hasText: 'Firefox on macOS' })).toHaveCount(0);

  // The other browser is sent to sign in; this one goes on.
  await elsewhere.goto('/workspaces');
  await expect(elsewhere).toHaveURL(/\/login\?next=\/workspaces$/);
  await page.goto('/workspaces');
  await expect(page).toHaveURL(/\/workspaces$/);
  await other.close();
});

test('an admin sees a member\'s sessions from the users page and signs them out everywhere', async ({ page, browser }) => {
  const memberContext = await browser.newContext({ userAgent: FIREFOX_MAC });
  const member = await memberContext.newPage();
  await signIn(member, OPERATOR, PASSWORD, '/login?next=/workspaces');
  await expect(member).toHaveURL(/\/workspaces$/);

  await signIn(page, ADMIN, PASSWORD, '/login?next=/users?email=operator');
  await page.getByTestId('user-row').filter({ hasText: OPERATOR }).getByTestId('user-sessions').click();
  await expect(page.getByTestId('sessions-of')).toHaveText(OPERATOR);
  await expect(page.getByTestId('session').filter({ hasText: 'Firefox on macOS' })).not.toHaveCount(0);
  await page.getByTestId('end-all-sessions').click();
  await page.getByTestId('confirm-end-all-sessions').click();
  await expect(page.getByTestId('notice')).toContainText('those sessions have ended');
  await expect(page.getByTestId('no-sessions')).toBeVisible();

  await member.goto('/workspaces');
  await expect(member).toHaveURL(/\/login\?next=\/workspaces$/);
  await memberContext.close();

  // The audit log says who ended whose sessions.
  await page.goto('/audit?action=session.ended');
  await expect(page.getByText(`sessions of ${OPERATOR}`).first()).toBeVisible();
});
