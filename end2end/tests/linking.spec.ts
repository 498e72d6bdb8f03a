// User linking in the browser: link a suggested user, pick one, unlink, link all suggested
// with progress, and create an invite whose code and command are shown.
import { ADMIN, consentOnLinear, expect, hydrated, signIn, test } from './helpers';

const ACME_ID = '4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d';
const USERS = `/workspaces/${ACME_ID}/users`;

test('an admin links a suggested user, picks one for another member, and unlinks', async ({ page }) => {
  await signIn(page, ADMIN);
  // The fixture's acme-eng row has no bundle here: reconnect it through Linear first.
  await page.goto(`/workspaces/${ACME_ID}`);
  await page.getByTestId('reconnect').click();
  await consentOnLinear(page, /Acme/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${ACME_ID}\\?notice=reconnected$`));
  await page.getByTestId('users-link').click();
  await expect(page.getByTestId('users-title')).toContainText('users and links');
  await expect(page.locator('[data-testid=state-count][data-state=suggested]')).toHaveText('Suggested: 2');

  await page.getByTestId('user-filter-state').selectOption('suggested');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/state=suggested/);
  const ada = page.getByTestId('user-row').filter({ hasText: 'Ada Admin' });
  await ada.getByTestId('link-suggested').click();
  await expect(page.getByTestId('notice')).toContainText('Linked.');
  await expect(page).toHaveURL(/state=suggested/);
  await expect(page.getByTestId('user-row').filter({ hasText: 'Ada Admin' })).toHaveCount(0);

  // The picker: search the pool by email prefix, link Member 006 to the demo user.
  await page.goto(`${USERS}?q=member006`);
  await page.getByTestId('user-row').filter({ hasText: 'Member 006' }).getByTestId('pick').click();
  await page.getByTestId('picker-email').fill('user@');
  await page.getByTestId('picker-search').click();
  await expect(page.getByTestId('picker-row')).toHaveCount(1);
  await page.getByTestId('picker-link').click();
  await expect(page.getByTestId('notice')).toContainText('Linked.');
  const m6 = page.getByTestId('user-row').filter({ hasText: 'Member 006' });
  await expect(m6.getByTestId('link-state')).toHaveText('Linked');
  await expect(m6.getByTestId('platform-user')).toContainText('user@example.com');

  await m6.getByTestId('unlink').click();
  await m6.getByTestId('confirm-unlink').click();
  await expect(page.getByTestId('notice')).toContainText('Unlinked.');
  await expect(page.getByTestId('user-row').filter({ hasText: 'Member 006' }).getByTestId('link-state')).toHaveText('Unlinked');

  await page.goto('/audit?action=user.');
  await expect(page.getByTestId('audit-row').filter({ hasText: 'user.unlink' })).toHaveCount(1);
  await expect(page.getByTestId('audit-row').filter({ hasText: 'user.link' }).filter({ hasText: 'success' })).toHaveCount(2);
});

test('link all suggested shows its progress and each row\'s result', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(USERS);
  await hydrated(page);
  await expect(page.locator('[data-testid=state-count][data-state=suggested]')).toHaveText('Suggested: 1');
  await page.getByTestId('link-all-suggested').click();
  await expect(page.getByTestId('bulk-progress-text')).toHaveText('1 of 1 done');
  await expect(page.getByTestId('bulk-result')).toHaveText(['Uma User → user@example.com: linked']);
  // The list refreshes itself afterwards: the same view, marked as following a change so the server
  // reads it afresh.
  await expect(page).toHaveURL(/\/users\?changed=1$/);
  await expect(page.locator('[data-testid=state-count][data-state=linked]')).toHaveText('Linked: 2');
  await expect(page.getByTestId('link-all-suggested')).toHaveCount(0);
});

test('an invite shows its code and the command that redeems it', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`${USERS}?q=Dana`);
  await page.getByTestId('user-row').filter({ hasText: 'Dana Whitfield' }).getByTestId('invite').click();
  await expect(page.getByTestId('notice')).toContainText('Invite created');
  const code = (await page.getByTestId('invite-code').textContent()) ?? '';
  expect(code).toMatch(/^link-[abcdefghjkmnpqrstuvwxyz23456789]{8}$/);
  await expect(page.getByTestId('invite-command')).toHaveText(`bgagent linear link ${code}`);
  await expect(page.getByTestId('user-row').filter({ hasText: 'Dana Whitfield' }).getByTestId('link-state')).toHaveText('Invite pending');
  const row = page.getByTestId('invite-row').filter({ hasText: code });
  await expect(row).toHaveAttribute('data-expired', 'false');
  await row.getByTestId('revoke-invite').click();
  await expect(page.getByTestId('notice')).toContainText('Invite revoked');
  await expect(page.getByTestId('invite-row').filter({ hasText: code })).toHaveCount(0);
});

test('reload from Linear fetches the members again and says how many', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(USERS);
  await hydrated(page);
  await page.getByTestId('reload').click();
  await expect(page.getByTestId('reload-progress')).toHaveText('Fetched 260 users from Linear.');
  await expect(page.getByTestId('fetched-at')).toContainText('Linear users as of');
});

test('the users page lists a platform user\'s Linear identities and unlinks one', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/users');
  await page.getByTestId('user-search-email').fill('admin@');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/users\?email=admin%40/);
  const admin = page.getByTestId('user-row').filter({ hasText: 'admin@example.com' });
  await expect(admin.getByTestId('identity')).toHaveCount(1);
  await expect(admin.getByTestId('identity')).toContainText('acme-eng');
  await admin.getByTestId('unlink').click();
  await admin.getByTestId('confirm-unlink').click();
  await expect(page.getByTestId('notice')).toContainText('Unlinked.');
  await expect(page.getByTestId('user-row').filter({ hasText: 'admin@example.com' })).toContainText('No Linear identity linked.');
});

test('a member without a platform user becomes one and is linked in one click', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`${USERS}?q=member011`);
  const row = page.getByTestId('user-row').filter({ hasText: 'Member 011' });
  await expect(row.getByTestId('link-state')).toHaveText('Unlinked');
  await row.getByTestId('create-user').click();
  await expect(page.getByTestId('notice')).toContainText('Platform user created and linked');
  await expect(page).toHaveURL(/q=member011/);
  const linked = page.getByTestId('user-row').filter({ hasText: 'Member 011' });
  await expect(linked.getByTestId('link-state')).toHaveText('Linked');
  await expect(linked.getByTestId('platform-user')).toContainText('member011@acme.example');
  // The pool has the user now: the picker finds it.
  await page.goto('/users?email=member011@');
  await expect(page.getByTestId('user-row').filter({ hasText: 'member011@acme.example' }).getByTestId('identity')).toContainText('acme-eng');
});
