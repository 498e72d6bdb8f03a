import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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

/** The stack's environment, as the bootstrap wrote it to `.local/console.env`. */
export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(__dirname, '..', '..', '.local', 'console.env'), 'utf8').split('\n')) {
    const m = line.match(/^export ([A-Z0-9_]+)='(.*)'$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/**
 * A second console on the same moto, stand-in and tables as the stack's (its environment from the
 * bootstrap's `.local/console.env`), with `settings` on top: for what the shared stack runs without.
 */
export async function secondConsole(port: number, settings: Record<string, string>): Promise<{ base: string; stop: () => void }> {
  const root = path.join(__dirname, '..', '..');
  const env = stackEnv();
  const target = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache', 'linear-console', 'target');
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(path.join(target, process.env.PROFILE ?? 'debug', 'linear-console'), [], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      CONSOLE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'),
      LINEAR_CLIENT_ID: 'local-linear-client',
      LINEAR_CLIENT_SECRET: 'local-linear-secret',
      LINEAR_BASE_URL: linearBase,
      LINEAR_API_URL: linearBase,
      CONSOLE_SWEEP_INTERVAL_SECONDS: '0',
      RUST_LOG: 'warn',
      ...settings,
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 150; i++) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ready) return { base, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`the second console on ${base} did not get ready`);
}
