import * as fs from 'fs';
import type { Page } from '@playwright/test';
import { consoleLogFile, linearBase } from '../playwright.config';
import { ADMIN, consentOnLinear, expect, hydrated, signIn, test } from './helpers';

const INITRODE_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

// Every response body the browser receives during these tests, searched for tokens at the end.
const bodies: string[] = [];
const pending: Promise<void>[] = [];

test.beforeEach(async ({ page }) => {
  page.on('response', (r) => {
    pending.push(r.text().then((t) => { bodies.push(`${r.url()}\n${t}`); }, () => {}));
  });
});

test.afterEach(async () => {
  await Promise.all(pending);
});

test('an admin connects a workspace through Linear and sees it listed', async ({ page }) => {
  await signIn(page, ADMIN);
  await hydrated(page);
  await page.getByTestId('connect-workspace').click();
  await expect(page).toHaveURL(/\/workspaces\/connect$/);
  await expect(page.getByTestId('redirect-uri')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+\/linear\/callback$/);
  await expect(page.getByTestId('credential-source')).toContainText('local-linear-client');
  await page.getByTestId('connect').click();
  await consentOnLinear(page, /Initrode/, 'Authorize');

  await expect(page).toHaveURL(new RegExp(`/workspaces/${INITRODE_ID}\\?notice=installed$`));
  await expect(page.getByTestId('notice')).toContainText('Workspace connected');
  await expect(page.getByTestId('workspace-title')).toHaveText('initrode');
  const facts = page.getByTestId('workspace-facts');
  await expect(facts).toContainText('read write app:assignable app:mentionable');
  await expect(facts).toContainText('bgagent-linear-oauth-initrode');

  await page.getByRole('link', { name: '← Workspaces' }).click();
  const row = page.getByTestId('workspace-row').filter({ hasText: 'initrode' });
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Initrode');
  // Token expiry relative to now, the absolute time on hover.
  await expect(row.getByTestId('expires')).toHaveText(/^in (\d+ h( \d+ min)?|\d+ min)$/);
  await expect(row.getByTestId('expires').locator('time')).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  // The org id's copy button puts it on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await row.getByTestId('copy').click();
  await expect(row.getByTestId('copy')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(INITRODE_ID);

  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByTestId('audit-row').filter({ hasText: 'workspace.install' }).filter({ hasText: INITRODE_ID }).filter({ hasText: 'success' })).toBeVisible();
});

test('check now and refresh token report their outcome on the workspace page', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${INITRODE_ID}`);
  await expect(page.getByTestId('health-panel').getByTestId('health')).toHaveText('Healthy');
  await page.getByTestId('check-now').click();
  await expect(page).toHaveURL(/notice=check_ok$/);
  await expect(page.getByTestId('notice')).toContainText('Linear accepts the stored access token');
  await expect(page.getByTestId('workspace-facts')).toContainText(/Last check.*· ok/);
  await page.getByTestId('refresh-token').click();
  await expect(page).toHaveURL(/notice=refreshed$/);
  await expect(page.getByTestId('notice')).toContainText('Token refreshed');
  await expect(page.getByTestId('workspace-facts')).toContainText(/Last refresh.*· ok/);
  // The workspace's own history, newest first.
  await expect(page.getByTestId('history-entry').first()).toContainText('workspace.refresh');
  await expect(page.getByTestId('workspace-history')).toContainText('workspace.check');
});

test('a webhook signing secret rotated in Linear is replaced here, with the order to do it in', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${INITRODE_ID}`);
  const panel = page.getByTestId('replace-webhook');
  await panel.locator('summary').click();
  await expect(panel).toContainText('up to 60 seconds');
  await page.getByTestId('new-webhook-secret').fill('lin_wh_rotatedinbrowser000000000');
  await page.getByTestId('replace-webhook-submit').click();
  await expect(page).toHaveURL(/notice=webhook_replaced$/);
  await expect(page.getByTestId('notice')).toContainText('Webhook signing secret replaced');
  await expect(page.getByTestId('workspace-facts')).toContainText('Webhook signing secretpresent');
  expect(await page.content()).not.toContain('lin_wh_rotatedinbrowser');
});

test('a workspace button works as a plain form post, before the wasm loads and after', async ({ browser, page, baseURL }) => {
  // The wasm never arrives (blocked): the form posts to the server function as plain HTML, and
  // the server answers with a redirect to the page and its outcome.
  const plain = await browser.newContext({ baseURL });
  const before = await plain.newPage();
  await before.route('**/pkg/*.wasm', (route) => route.abort());
  await signIn(before, ADMIN);
  await before.goto(`/workspaces/${INITRODE_ID}`);
  await before.getByTestId('check-now').click();
  await expect(before).toHaveURL(new RegExp(`/workspaces/${INITRODE_ID}\\?notice=check_ok$`));
  await expect(before.getByTestId('notice')).toContainText('Linear accepts the stored access token');
  await plain.close();

  // With the wasm loaded the button is still that form (pages are server-rendered islands): the same
  // outcome, and the page's facts read again.
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${INITRODE_ID}`);
  await hydrated(page);
  await page.getByTestId('refresh-token').click();
  await expect(page).toHaveURL(/notice=refreshed$/);
  await expect(page.getByTestId('notice')).toContainText('Token refreshed');
  await expect(page.getByTestId('history-entry').first()).toContainText('workspace.refresh');
});

test('cancelling on Linear shows the denied page and installs nothing', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/workspaces/connect');
  await page.getByTestId('connect').click();
  await consentOnLinear(page, /Acme/, 'Cancel');
  await expect(page).toHaveURL(/\/workspaces\/connect\?error=access_denied/);
  const failure = page.getByTestId('install-failure');
  await expect(failure).toHaveAttribute('data-code', 'access_denied');
  await expect(failure).toContainText('You cancelled on Linear');
  await expect(failure).toContainText('Request id');
});

test('reconnecting a workspace to a different Linear organization is refused', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${INITRODE_ID}`);
  await hydrated(page);
  await page.getByTestId('reconnect').click();
  await consentOnLinear(page, /Acme/, 'Authorize');
  await expect(page).toHaveURL(/\/workspaces\/connect\?error=wrong_workspace/);
  await expect(page.getByTestId('failure-specifics')).toHaveText(
    'You authorized acme-eng on Linear, but this reconnect was for initrode.');
  // And reconnecting to the right one works, in place.
  await page.goto(`/workspaces/${INITRODE_ID}`);
  await page.getByTestId('reconnect').click();
  await consentOnLinear(page, /Initrode/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${INITRODE_ID}\\?notice=reconnected$`));
  await expect(page.getByTestId('notice')).toContainText('reconnected');
});

test('revoking a workspace asks for its slug and reports each step', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${INITRODE_ID}`);
  await page.getByTestId('remove-panel').locator('summary').click();
  await page.getByTestId('confirm-slug').fill('initrod');
  await page.getByTestId('revoke').click();
  await expect(page.getByTestId('notice')).toContainText('did not match');
  // The page reads the workspace again after a change; the panel stays open to type it again.
  await page.waitForLoadState('networkidle');
  await expect(page.getByTestId('remove-panel')).toHaveAttribute('open', '');
  await page.getByTestId('confirm-slug').fill('initrode');
  await page.getByTestId('revoke').click();
  const report = page.getByTestId('steps-report');
  await expect(report).toContainText('Every step completed');
  await expect(report.getByTestId('step')).toHaveText([
    'Mark the registry row revoked: done',
    'Revoke the tokens at Linear: done',
    'Delete the token bundle from Secrets Manager: done',
    "Delete the workspace's user links and invites: already done",
    "Deactivate the workspace's project mappings: already done",
    'Delete the registry row: skipped',
  ]);
  await expect(page.getByTestId('health-panel').getByTestId('health')).toHaveText('Revoked');
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByTestId('audit-row').filter({ hasText: 'workspace.revoke' }).filter({ hasText: INITRODE_ID }).filter({ hasText: 'success' })).toBeVisible();
});

test('the audit log filters by action in the URL and exports that view as CSV', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/audit');
  await page.getByTestId('audit-action').fill('workspace.re');
  await page.getByTestId('audit-apply').click();
  await expect(page).toHaveURL(/action=workspace\.re/);
  const actions = page.getByTestId('audit-row').locator('td:nth-child(3)');
  await expect(actions.first()).toBeVisible();
  for (const a of await actions.allTextContents()) expect(a).toMatch(/^workspace\.(reconnect|revoke|refresh)$/);
  const href = await page.getByTestId('audit-csv').getAttribute('href');
  expect(href).toBe('/audit.csv?action=workspace.re');
  const csv = await (await page.request.get(href!)).text();
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('time,actor_email,actor_sub,action,workspace,outcome,detail,request_id');
  expect(lines.length - 1).toBe((await actions.allTextContents()).length);
});

test.afterAll(async ({ request }) => {
  await Promise.all(pending);
  const issued = await (await request.get(`${linearBase}/_control/issued`)).json();
  const secrets: string[] = [...issued.access_tokens, ...issued.refresh_tokens, issued.client_secret];
  expect(issued.access_tokens.length).toBeGreaterThan(0);
  const log = fs.readFileSync(consoleLogFile, 'utf8');
  expect(log).toContain('install callback handled');
  expect(bodies.length).toBeGreaterThan(10);
  for (const s of secrets) {
    expect(bodies.filter((b) => b.includes(s)).map((b) => b.split('\n')[0]), `leaked ${s.slice(0, 12)}…`).toEqual([]);
    expect(log.includes(s), `console log holds ${s.slice(0, 12)}…`).toBe(false);
  }
});
