// The first load of a page (a browser with an empty cache): what crosses the wire for the HTML,
// the CSS, the JS and the wasm together must stay within the target however many pages the
// console grows. A size check of what is served (bytes as transferred), not a timing.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

/** 250 KB (decimal), the target for `/login` and `/workspaces` each. */
const TARGET_BYTES = 250_000;

async function firstLoad(page: Page, path: string) {
  const seen: { url: string; bytes: number; encoding: string; cache: string }[] = [];
  page.on('requestfinished', async (req) => {
    const res = await req.response();
    if (!res) return;
    const sizes = await req.sizes();
    const headers = await res.allHeaders();
    seen.push({
      url: new URL(req.url()).pathname,
      bytes: sizes.responseBodySize + sizes.responseHeadersSize,
      encoding: headers['content-encoding'] ?? '',
      cache: headers['cache-control'] ?? '',
    });
  });
  await page.goto(path);
  await hydrated(page);
  // `requestfinished` handlers are async: let the last ones record their sizes.
  await expect.poll(() => seen.filter((s) => s.url.endsWith('.wasm')).length).toBe(1);
  return seen;
}

/** A page in a context of its own: an empty cache (and the given cookies, if any). */
async function coldPage(browser: Browser, storageState?: Awaited<ReturnType<BrowserContext['storageState']>>) {
  const context = await browser.newContext({ storageState });
  return context.newPage();
}

function report(path: string, seen: { url: string; bytes: number }[]) {
  const total = seen.reduce((n, s) => n + s.bytes, 0);
  console.log(`first load of ${path}: ${total} bytes transferred (${seen.map((s) => `${s.url} ${s.bytes}`).join(', ')})`);
  return total;
}

test('the sign-in page loads cold within the first-load target, compressed and with hashed assets cached for good', async ({ browser }) => {
  const page = await coldPage(browser);
  const seen = await firstLoad(page, '/login');
  expect(report('/login', seen)).toBeLessThanOrEqual(TARGET_BYTES);
  const assets = seen.filter((s) => s.url.startsWith('/pkg/'));
  expect(assets.map((s) => s.url.replace(/\.[0-9a-f]{16}/, '.<hash>')).sort()).toEqual(['/pkg/app.<hash>.css', '/pkg/app.<hash>.js', '/pkg/app.<hash>_bg.wasm']);
  for (const a of assets) {
    expect(a.cache, a.url).toBe('public, max-age=31536000, immutable');
    expect(['br', 'gzip'], `${a.url} is sent compressed`).toContain(a.encoding);
  }
  const html = seen.find((s) => s.url === '/login');
  expect(html?.cache).toBe('no-store');
  await page.context().close();
});

test('the registry loads cold within the first-load target for a signed-in admin', async ({ browser }) => {
  const signing = await coldPage(browser);
  await signIn(signing, ADMIN);
  await expect(signing).toHaveURL(/\/workspaces$/);
  const state = await signing.context().storageState();
  await signing.context().close();

  const page = await coldPage(browser, state);
  const seen = await firstLoad(page, '/workspaces');
  await expect(page.getByRole('heading', { name: 'Workspaces' })).toBeVisible();
  expect(report('/workspaces', seen)).toBeLessThanOrEqual(TARGET_BYTES);
  await page.context().close();
});
