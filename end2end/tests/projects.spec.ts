// Projects mapped to repositories in the browser: map one to an onboarded repository, one to a
// repository the platform lacks (warned), deactivate it, and map several at once.
import { ADMIN, consentOnLinear, expect, signIn, test } from './helpers';

const ACME_ID = '4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d';
const PROJECTS = `/workspaces/${ACME_ID}/projects`;

test('an admin maps two projects, one warned as not onboarded, and deactivates it', async ({ page }) => {
  await signIn(page, ADMIN);
  // The fixture's acme-eng row has no bundle here: reconnect it through Linear first.
  await page.goto(`/workspaces/${ACME_ID}`);
  await page.getByTestId('reconnect').click();
  await consentOnLinear(page, /Acme/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${ACME_ID}\\?notice=reconnected$`));
  await page.getByTestId('projects-link').click();
  await expect(page.getByTestId('projects-title')).toContainText('acme-eng · projects');
  await expect(page.locator('[data-testid=show-count][data-show=unmapped]')).toHaveText(/Not mapped: \d+/);
  await expect(page.getByTestId('page-label')).toContainText('Page 1 of 2');

  // Web app → acme/web (onboarded on the platform).
  await page.getByTestId('project-filter-q').fill('Web app');
  await page.getByRole('button', { name: 'Apply' }).click();
  const web = page.getByTestId('project-row').filter({ hasText: 'Web app' });
  await web.getByTestId('map').click();
  await web.getByTestId('map-repo').fill('acme/web');
  await web.getByTestId('map-submit').click();
  await expect(page.getByTestId('notice')).toContainText('Mapped.');
  await expect(page).toHaveURL(/q=Web%20app/);
  const mapped = page.getByTestId('project-row').filter({ hasText: 'Web app' });
  await expect(mapped.getByTestId('mapped-repo')).toHaveText('acme/web');
  await expect(mapped.getByTestId('mapping-status')).toHaveText('active');
  await expect(mapped.getByTestId('mapped-by')).toHaveText(ADMIN);
  await expect(mapped.getByTestId('repo-warning')).toHaveCount(0);

  // Mobile → acme/mobile, which the platform has not onboarded: warned in the platform's words.
  await page.goto(`${PROJECTS}?q=Mobile`);
  const mobile = page.getByTestId('project-row').filter({ hasText: 'Mobile' });
  await mobile.getByTestId('map').click();
  await mobile.getByTestId('map-repo').fill('acme/mobile');
  await mobile.getByTestId('map-label').fill('Agent');
  await mobile.getByTestId('map-submit').click();
  await expect(page.getByTestId('notice')).toContainText('422 REPO_NOT_ONBOARDED');
  const warned = page.getByTestId('project-row').filter({ hasText: 'Mobile' });
  await expect(warned.getByTestId('repo-warning')).toContainText('acme/mobile is not onboarded on the platform');

  // Deactivate it (confirmed first): the mapping stays, its status is removed.
  await warned.getByTestId('deactivate').click();
  await warned.getByTestId('confirm-deactivate').click();
  await expect(page.getByTestId('notice')).toContainText('Deactivated');
  const removed = page.getByTestId('project-row').filter({ hasText: 'Mobile' });
  await expect(removed.getByTestId('mapping-status')).toHaveText('removed');
  await expect(removed.getByTestId('mapped-repo')).toHaveText('acme/mobile');
  await expect(removed.getByTestId('reactivate')).toBeVisible();

  await page.goto(`${PROJECTS}?show=mapped`);
  await expect(page.getByTestId('project-row')).toHaveCount(1);
  // The view downloads as CSV: the link carries it, and the file holds the view's rows.
  const href = await page.getByTestId('export-csv').getAttribute('href');
  expect(href).toBe(`${PROJECTS}.csv?show=mapped`);
  const csv = (await (await page.request.get(href!)).text()).trim().split('\n');
  expect(csv[0]).toMatch(/^linear_project_id,name,state,teams,repo,label_filter,/);
  expect(csv.slice(1)).toHaveLength(1);
  expect(csv[1]).toContain('acme/web');
  await page.goto('/audit?action=project.');
  await expect(page.getByTestId('audit-row').filter({ hasText: 'project.map' })).toHaveCount(2);
  await expect(page.getByTestId('audit-row').filter({ hasText: 'project.deactivate' })).toHaveCount(1);
});

test('several projects are mapped at once from the ticked rows', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`${PROJECTS}?q=Initiative 0&show=unmapped`);
  const rows = page.getByTestId('project-row');
  await expect(rows).toHaveCount(9);
  await rows.nth(0).getByTestId('select-project').check();
  await rows.nth(1).getByTestId('select-project').check();
  await page.getByTestId('bulk-repo').fill('acme/api');
  await page.getByTestId('map-selected-submit').click();
  await expect(page.getByTestId('bulk-counts')).toHaveText(
    '2 mapped (0 to a repository not onboarded) · 0 mapped by someone else meanwhile · 0 refused · 0 failed',
  );
  await expect(page.getByTestId('project-row')).toHaveCount(7);
});
