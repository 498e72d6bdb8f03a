import * as crypto from 'crypto';
import { test as base, expect, Page } from '@playwright/test';
import { linearBase } from '../playwright.config';

/** Console errors a test expects from a page (by a part of their text), per page. */
const expectedErrors = new WeakMap<Page, string[]>();

/**
 * Every spec's `test`: a script error or a console error (a CSP violation, a failed hydration)
 * fails the test, since the page must run as served. A page answered with an error status on
 * purpose logs one console error: `allowStatusPage` expects exactly that one.
 */
export const test = base.extend<{ pageRunsClean: void }>({
  pageRunsClean: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      await use();
      const expected = expectedErrors.get(page) ?? [];
      expect(problems.filter((p) => !expected.some((e) => p.includes(e)))).toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** The page is about to be served with `status` on purpose: its console error is expected. */
export function allowStatusPage(page: Page, status: number) {
  expectedErrors.set(page, [...(expectedErrors.get(page) ?? []), `status of ${status}`]);
}

export const ADMIN = 'admin@example.com';
export const USER = 'user@example.com';
export const FIRST_SIGN_IN = 'new-admin@example.com';
export const PASSWORD = process.env.DEMO_PASSWORD ?? 'Console-demo-1';

export async function signIn(page: Page, email: string, password = PASSWORD, path = '/login') {
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the wasm bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

/** From the connect page through the stand-in's consent form. */
export async function consentOnLinear(page: Page, workspace: RegExp, button: 'Authorize' | 'Cancel') {
  await expect(page).toHaveURL(new RegExp(`^${linearBase}/oauth/authorize`));
  await expect(page.getByRole('heading', { name: /wants to access your Linear workspace/ })).toBeVisible();
  await page.getByLabel(workspace).check();
  await page.getByRole('button', { name: button }).click();
}

/** The code an authenticator app shows for `secret` (base32), `steps` 30-second steps from now:
 * RFC 6238, SHA-1, 6 digits. */
export function totp(secret: string, steps = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.toUpperCase().replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const h: Buffer = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[19] & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
