import { expect, test, type Page } from '@playwright/test';

export interface Account {
  email: string;
  password: string;
}

/** The demo database's accounts (scripts/demo.ts). */
export const DEMO_ACCOUNTS = {
  admin: { email: 'admin@distillery.local', password: 'admin-demo-pass' },
  lead: { email: 'lead@distillery.local', password: 'lead-demo-pass' },
  annotator: { email: 'annotator@distillery.local', password: 'annotator-demo-pass' },
} satisfies Record<string, Account>;

/** Fills and submits the login form; waits for nothing (a login may be meant to fail). */
export async function submitLogin(page: Page, account: Account): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in through the login form and waits for the task list it lands on. */
export async function login(page: Page, account: Account): Promise<void> {
  await submitLogin(page, account);
  await expect(page).toHaveURL(/\/tasks$/);
}

/**
 * Every browser console error (and uncaught page error) fails the test unless the test allows
 * it (a 403 it provokes). Call once at the top of a spec; `watch` also covers extra pages.
 */
export function failOnConsoleErrors() {
  let errors: string[] = [];
  let allowed: RegExp[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  };
  test.beforeEach(async ({ page }) => {
    errors = [];
    allowed = [];
    watch(page);
  });
  test.afterEach(() => {
    expect(errors.filter((e) => !allowed.some((re) => re.test(e)))).toEqual([]);
  });
  return { watch, allow: (re: RegExp) => void allowed.push(re) };
}
