// Send again, in the browser: a console whose event bus does not exist (yet) records the lifecycle
// event of a change as undelivered; on /audit an admin presses Send again (a plain form): refused
// again while the bus is missing (said, recorded, the button stays), sent once the bus exists (the
// row then says who sent it, and the button is gone).
import { ADMIN, expect, secondConsole, signIn, stackEnv, test } from './helpers';

/** Creates an EventBridge bus in moto (its JSON API, as the SDK would call it). */
async function createBus(name: string) {
  const res = await fetch(`${stackEnv().AWS_ENDPOINT_URL}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.CreateEventBus',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ Name: name }),
  });
  expect(res.ok, await res.text()).toBe(true);
}

test('an event the bus refused is sent again from the audit log, once the bus takes it', async ({ page }) => {
  const bus = `e2e-later-${Date.now()}`;
  const missing = await secondConsole(3334, { CONSOLE_EVENT_BUS: bus });
  try {
    await signIn(page, ADMIN, undefined, `${missing.base}/login`);
    await page.goto(`${missing.base}/workspaces/connect`);
    await page.getByTestId('link-note-input').fill('Send-again check');
    await page.getByTestId('make-link-submit').click();
    await expect(page.getByTestId('notice')).toContainText('Install link made');
    const tail = (await page.getByTestId('new-link-url').textContent())!.trim().slice(-4);

    await page.goto(`${missing.base}/audit?action=event.`);
    const row = page.getByTestId('audit-row').filter({ hasText: 'event.undelivered' }).filter({ hasText: `event bus ${bus}` }).first();
    await expect(row).toContainText('install_link.created');
    await expect(row).toContainText(`link …${tail}`);
    await row.getByTestId('send-again').click();
    await expect(page).toHaveURL(/\/audit\?action=event\.&error=refused_again/);
    await expect(page.getByTestId('notice')).toContainText('Refused again');
    const failed = page.getByTestId('audit-row').filter({ hasText: 'event.resent' }).filter({ hasText: `refused again by event bus ${bus}` });
    await expect(failed).toHaveCount(1);

    await createBus(bus);
    const again = page.getByTestId('audit-row').filter({ hasText: 'event.undelivered' }).filter({ hasText: `event bus ${bus}` }).first();
    await again.getByTestId('send-again').click();
    await expect(page).toHaveURL(/\/audit\?action=event\.&notice=resent/);
    await expect(page.getByTestId('notice')).toContainText('Sent again');
    const sent = page.getByTestId('audit-row').filter({ hasText: 'event.undelivered' }).filter({ hasText: `event bus ${bus}` }).first();
    await expect(sent.getByTestId('event-resent')).toContainText(`Sent again by ${ADMIN}`);
    await expect(sent.getByTestId('send-again')).toHaveCount(0);

    // The link made for this check goes away.
    await page.goto(`${missing.base}/workspaces/connect`);
    const link = page.getByTestId('link-row').filter({ hasText: `…${tail}` });
    await link.getByTestId('revoke-link').click();
    await expect(link).toHaveAttribute('data-status', 'revoked');
  } finally {
    missing.stop();
  }
});
