// Browser tests: Playwright driving Debian's Chromium against the whole local stack
// (moto + bootstrap + console), started on ports of their own by scripts/stack.sh.
import { defineConfig } from '@playwright/test';
import * as path from 'path';

const consolePort = process.env.E2E_CONSOLE_PORT ?? '3300';
const motoPort = process.env.E2E_MOTO_PORT ?? '4577';
const linearPort = process.env.E2E_LINEAR_PORT ?? '3310';
/** The console's log during the run, searched for leaked tokens by install.spec.ts. */
export const consoleLogFile = path.join(__dirname, '..', '.local', 'e2e-console.log');
export const linearBase = `http://127.0.0.1:${linearPort}`;
export const demoPassword = process.env.DEMO_PASSWORD ?? 'Console-demo-1';

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${consolePort}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
      ],
    },
  },
  webServer: {
    command: 'bash scripts/stack.sh',
    url: `http://127.0.0.1:${consolePort}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      CONSOLE_ADDR: `127.0.0.1:${consolePort}`,
      MOTO_PORT: motoPort,
      LINEAR_STANDIN_PORT: linearPort,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
      DEMO_PASSWORD: demoPassword,
      // No background sweep: the tests decide when a workspace is checked.
      CONSOLE_SWEEP_INTERVAL_SECONDS: '0',
      // The tests make their own workspaces.
      SEED_DEMO: '0',
      // An alert channel whose posts fail (the stand-in has no such route), for the settings page.
      CONSOLE_ALERT_WEBHOOK_URLS: `${linearBase}/alert-hook/secret-part`,
      PROFILE: process.env.PROFILE ?? 'debug',
      CONSOLE_LOG_FILE: consoleLogFile,
      // Debug level for the console's own code: more lines that must not hold a token.
      RUST_LOG: 'info,server=debug,app=debug,aws_config=warn,aws_smithy_runtime=warn',
    },
  },
});
