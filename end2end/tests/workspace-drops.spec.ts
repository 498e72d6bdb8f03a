// What the platform drops, in the browser: the webhook processor's lines (written into moto's
// CloudWatch Logs as the platform writes them) on the workspace's page, with the buttons that fix
// each; a plain-form Invite from there lands on the users page with the invite; Map opens the
// project's row. A console of its own reads the log afresh (the shared one reuses a read a minute).
import { ADMIN, consentOnLinear, expect, secondConsole, signIn, stackEnv, test } from './helpers';

const ACME_ID = '4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d';
/** The stand-in's ids (end2end/src/linear/seed.rs `uid`). */
function uid(ns: number, n: number): string {
  const hex = (v: number | bigint, w: number) => v.toString(16).padStart(w, '0');
  return `${hex(ns, 8)}-${hex(n & 0xffff, 4)}-4${hex(n % 0xfff, 3)}-8${hex(ns % 0xfff, 3)}-${hex(BigInt(n) * 7919n, 12)}`;
}
const MEMBER_042 = uid(0xacce, 42);
const OPS_TOOLING = uid(0xacce, 903);
/** The stream the bootstrap made in the processor's group (end2end/src/bootstrap.rs). */
const STREAM = '2026/12/03/[$LATEST]0123456789abcdef';

/** Puts lines into the processor's log group, as Lambda does with the processor's stdout. */
async function processorLines(messages: object[]) {
  const env = stackEnv();
  const now = Date.now();
  const body = {
    logGroupName: env.LOCAL_PROCESSOR_LOG_GROUP,
    logStreamName: STREAM,
    logEvents: messages.map((m, i) => ({ timestamp: now - 60_000 + i, message: JSON.stringify(m) })),
  };
  const res = await fetch(`${env.AWS_ENDPOINT_URL}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Logs_20140328.PutLogEvents',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  expect(res.ok, await res.text()).toBe(true);
}

test('a person the platform ignored is on the workspace page with Invite, and a project with Map', async ({ page }) => {
  const unlinked = (issue: string) => ({
    level: 'WARN',
    message: 'Linear actor has no linked platform user — skipping task creation',
    linear_workspace_id: ACME_ID,
    linear_user_id: MEMBER_042,
    issue_id: issue,
  });
  await processorLines([
    unlinked('e2e-issue-1'),
    unlinked('e2e-issue-2'),
    { level: 'INFO', message: 'Linear project is not onboarded or is removed — skipping', linear_project_id: OPS_TOOLING, issue_id: 'e2e-issue-3' },
  ]);
  // The fixture's acme-eng row has no bundle of its own until it is reconnected (names need Linear),
  // through the shared console (the stand-in knows its callback only).
  await signIn(page, ADMIN);
  await page.goto(`/workspaces/${ACME_ID}`);
  await page.getByTestId('reconnect').click();
  await consentOnLinear(page, /Acme/, 'Authorize');
  await expect(page).toHaveURL(new RegExp(`/workspaces/${ACME_ID}\\?notice=reconnected$`));
  const fresh = await secondConsole(3333, { CONSOLE_DROPS_CACHE_SECONDS: '0', PLATFORM_PROCESSOR_LOG_GROUP: stackEnv().LOCAL_PROCESSOR_LOG_GROUP });
  try {
    await signIn(page, ADMIN, undefined, `${fresh.base}/login`);
    await page.goto(`${fresh.base}/workspaces/${ACME_ID}`);
    const section = page.getByTestId('drops');
    await expect(section.getByRole('heading', { level: 2 })).toHaveText('Dropped in the last 7 days');
    const person = section.getByTestId('drop-person').filter({ hasText: 'Member 042' });
    await expect(person.getByTestId('drop-times')).toHaveText('2×');
    await expect(person.getByTestId('drop-state')).toHaveText('Unlinked');
    await expect(person.getByTestId('drop-create')).toHaveText('Create platform user and link');
    const project = section.getByTestId('drop-project').filter({ hasText: 'Ops tooling' });
    await expect(project).toContainText('not mapped');

    // Invite, as a plain form: the users page with that member, the invite's code shown.
    await person.getByTestId('drop-invite').click();
    await expect(page).toHaveURL(/\/users\?q=member042%40acme\.example.*notice=invited/);
    const code = (await page.getByTestId('invite-code').textContent()) ?? '';
    expect(code.length).toBeGreaterThan(4);
    await page.getByTestId('invite-row').filter({ hasText: code }).getByTestId('revoke-invite').click();
    await expect(page.getByTestId('invite-row').filter({ hasText: code })).toHaveCount(0);

    await page.goto(`${fresh.base}/workspaces/${ACME_ID}`);
    await page.getByTestId('drops').getByTestId('drop-project').filter({ hasText: 'Ops tooling' }).getByTestId('drop-map').click();
    await expect(page).toHaveURL(/\/projects\?q=Ops%20tooling$/);
    await expect(page.getByTestId('project-row').filter({ hasText: 'Ops tooling' })).toHaveCount(1);
  } finally {
    fresh.stop();
  }
});
