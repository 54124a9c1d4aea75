import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT || 3217);

/**
 * E2E tests drive Debian's Chromium (Playwright cannot download a browser here) against a
 * production build serving a fresh demo database (COLD task, demo accounts) in data-e2e/, with
 * an in-process worker for the rounds a test starts (the demo teacher is not trained).
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-reports/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `rm -rf data-e2e && DISTILLERY_DATA_DIR=data-e2e node_modules/.bin/tsx scripts/demo.ts --port ${PORT} --no-train --worker`,
    url: `http://127.0.0.1:${PORT}/login`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
