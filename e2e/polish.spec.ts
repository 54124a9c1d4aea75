import { expect, test } from '@playwright/test';
import { DEMO_ACCOUNTS as ACCOUNTS, failOnConsoleErrors, login } from './fixtures';

/** Console polish (issue 10, item 6): 404s, tab titles, phase links, the login redirect's `next`. */
const { allow: allowConsoleError } = failOnConsoleErrors();

test('ids that cannot exist and unknown ids answer a styled 404, not a 500', async ({ page }) => {
  allowConsoleError(/status of 404/);
  await login(page, ACCOUNTS.lead);
  for (const path of ['/phases/abc', '/rounds/abc', '/annotate/abc', '/annotate/abc/review', '/models/abc', '/models/try/abc', '/phases/99999999999', '/phases/0', '/phases/999999', '/rounds/999999', '/no/such/page']) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(404);
    await expect(page.getByRole('heading', { name: 'Not found' }), path).toBeVisible();
    await expect(page).toHaveTitle('Not found · Distillery');
  }
  await page.screenshot({ path: 'test-results/not-found.png', fullPage: true });
  await page.getByRole('link', { name: 'Back to tasks' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
});

test('each page has its own tab title; a phase page links to its rounds, annotation and review', async ({ page }) => {
  await login(page, ACCOUNTS.lead);
  await expect(page).toHaveTitle('Tasks · Distillery');
  const phase = page.getByTestId('phase-offensive').getByRole('link', { name: 'Offensive?' });
  const href = (await phase.getAttribute('href'))!;
  const phaseId = Number(href.split('/').pop());
  await phase.click();
  await expect(page).toHaveTitle('Offensive? · Distillery');
  await expect(page.getByTestId('phase-link-annotate')).toHaveAttribute('href', `/annotate/${phaseId}`);
  await expect(page.getByTestId('phase-link-review')).toHaveAttribute('href', `/annotate/${phaseId}/review`);
  await page.getByTestId('phase-link-rounds').click();
  await expect(page).toHaveURL(new RegExp(`/rounds#phase-${phaseId}$`));
  await expect(page).toHaveTitle('Rounds · Distillery');
  await expect(page.locator(`#phase-${phaseId}`)).toBeVisible();
  await page.goto(`/phases/${phaseId}`);
  await page.getByTestId('phase-link-annotate').click();
  await expect(page).toHaveTitle('Annotate: Offensive? · Distillery');
  for (const [path, title] of [['/models', 'Models'], ['/account', 'Account'], ['/annotate', 'Annotate']] as const) {
    await page.goto(path);
    await expect(page).toHaveTitle(`${title} · Distillery`);
  }
});

test('the annotator sees no review link on the phase page', async ({ page }) => {
  await login(page, ACCOUNTS.annotator);
  await page.getByTestId('phase-offensive').getByRole('link', { name: 'Offensive?' }).click();
  await expect(page.getByTestId('phase-link-annotate')).toBeVisible();
  await expect(page.getByTestId('phase-link-review')).toHaveCount(0);
});

test('a deep link survives the login; an off-site next is ignored', async ({ page }) => {
  await page.goto('/rounds?x=1');
  await expect(page).toHaveURL(/\/login\?next=%2Frounds%3Fx%3D1$/);
  await page.getByLabel('Email').fill(ACCOUNTS.annotator.email);
  await page.getByLabel('Password').fill(ACCOUNTS.annotator.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/rounds\?x=1$/);
  await expect(page).toHaveTitle('Rounds · Distillery');

  const fresh = await page.context().browser()!.newContext();
  const p2 = await fresh.newPage();
  await p2.goto('/login?next=//evil.example/x');
  await p2.getByLabel('Email').fill(ACCOUNTS.annotator.email);
  await p2.getByLabel('Password').fill(ACCOUNTS.annotator.password);
  await p2.getByRole('button', { name: 'Log in' }).click();
  await expect(p2).toHaveURL(/127\.0\.0\.1:\d+\/tasks$/);
  await fresh.close();
});
