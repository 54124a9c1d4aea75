import { expect, test, type Page } from '@playwright/test';
import { DEMO_ACCOUNTS as ACCOUNTS, failOnConsoleErrors, login, submitLogin } from './fixtures';

/** Logs in as a demo account and checks the role the console shows. */
async function loginAs(page: Page, who: keyof typeof ACCOUNTS) {
  await login(page, ACCOUNTS[who]);
  await expect(page.getByTestId('current-role')).toHaveText(who);
}

const { allow: allowConsoleError } = failOnConsoleErrors();

test('annotator sees the COLD task and its two phases with item counts', async ({ page }) => {
  await loginAs(page, 'annotator');
  const task = page.getByTestId('task-cold');
  await expect(task).toContainText('COLD');
  const p1 = task.getByTestId('phase-offensive');
  const p2 = task.getByTestId('phase-topic');
  await expect(p1).toContainText('Offensive?');
  await expect(p2).toContainText('Topic');
  await expect(p2).toContainText('offensive = offensive');
  for (const row of [p1, p2]) {
    const count = Number((await row.getByTestId('item-count').innerText()).replace(/,/g, ''));
    expect(count).toBeGreaterThan(30_000);
  }
  await page.screenshot({ path: 'test-results/tasks-annotator.png', fullPage: true });
});

test('annotator gets 403 on the admin page and the admin API', async ({ page }) => {
  await loginAs(page, 'annotator');
  allowConsoleError(/status of 403/);
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  const res = await page.goto('/admin');
  expect(res?.status()).toBe(403);
  await expect(page.getByText('Forbidden')).toBeVisible();
  const api = await page.request.get('/api/admin/users');
  expect(api.status()).toBe(403);
  const create = await page.request.post('/api/admin/users', { data: { email: 'x@y.z', name: 'x', role: 'admin', password: 'password123' } });
  expect(create.status()).toBe(403);
  const createTask = await page.request.post('/api/tasks', { data: {} });
  expect(createTask.status()).toBe(403);
});

test('admin creates a user who can then log in', async ({ page, browser }) => {
  await loginAs(page, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByTestId('users-table')).toContainText(ACCOUNTS.lead.email);
  const email = `new-annotator-${Date.now()}@distillery.local`;
  await page.getByLabel('Name').fill('New Annotator');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption('annotator');
  await page.getByLabel('Initial password').fill('a-new-password');
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status')).toContainText(`Created ${email}`);
  await expect(page.getByTestId('users-table')).toContainText(email);
  await page.screenshot({ path: 'test-results/admin.png', fullPage: true });

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await submitLogin(p2, { email, password: 'a-new-password' });
  await expect(p2.getByTestId('current-role')).toHaveText('annotator');
  await other.close();
});

test('wrong password is refused with a clear message', async ({ page }) => {
  allowConsoleError(/status of 401/);
  await submitLogin(page, { email: ACCOUNTS.admin.email, password: 'not-the-password' });
  await expect(page.getByText('wrong email or password')).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});
