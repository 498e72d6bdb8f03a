import { expect, Page } from '@playwright/test';

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
