import { expect, Page } from '@playwright/test';
import { linearBase } from '../playwright.config';

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
