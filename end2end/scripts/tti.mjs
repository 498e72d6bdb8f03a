// `node scripts/tti.mjs <url>`: time to interactive of one page, cold, in Chromium under the
// DevTools "Fast 3G" profile (Puppeteer's numbers: 1.6 Mbps down and 750 kbps up at 90 %, 562.5 ms
// latency). Interactive = the islands are hydrated (`<html data-hydrated>`). Prints one JSON line.
// CONSOLE_COOKIE (name=value) signs the page in. Run by `make bench`; asserts nothing.
import { chromium } from '@playwright/test';

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const context = await browser.newContext();
  const cookie = process.env.CONSOLE_COOKIE;
  if (cookie) {
    const [name, ...rest] = cookie.split('=');
    await context.addCookies([{ name, value: rest.join('='), url }]);
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150 * 3.75,
    downloadThroughput: ((1.6 * 1000 * 1000) / 8) * 0.9,
    uploadThroughput: ((750 * 1000) / 8) * 0.9,
  });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  // The moment the attribute appears, taken in the page (not when the test notices it).
  await page.addInitScript(() => {
    // The init script runs before <html> exists: watch the whole document.
    new MutationObserver((_, observer) => {
      if (document.documentElement?.dataset.hydrated === 'true') {
        window.__interactive = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(url, { timeout: 60_000 });
  await page.waitForFunction(() => window.__interactive !== undefined, null, { timeout: 60_000 });
  const t = await page.evaluate(() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { interactive_ms: Math.round(window.__interactive), fcp_ms: fcp ? Math.round(fcp.startTime) : null };
  });
  console.log(JSON.stringify({ url: new URL(url).pathname, ...t, bytes }));
} finally {
  await browser.close();
}
