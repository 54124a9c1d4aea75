import { expect, test } from '@playwright/test';
import { DEMO_ACCOUNTS, login } from './fixtures';

test('a lead creates a task and uploads a file: bad rows are listed by line, then a good file imports', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await login(page, DEMO_ACCOUNTS.lead);

  const slug = `e2e-${Date.now()}`;
  await page.getByText('New task').click();
  await page.getByLabel('Task spec').fill(
    JSON.stringify({ slug, name: 'E2E spam', phases: [{ key: 'spam', name: 'Spam?', labels: ['ham', 'spam'], threshold: 0.5 }] }),
  );
  await page.getByRole('button', { name: 'Create task' }).click();
  await expect(page.getByRole('heading', { name: 'E2E spam' })).toBeVisible();
  await page.getByRole('link', { name: /Spam\?/ }).click();
  await expect(page.getByTestId('stat-items')).toHaveText('0');

  const bad = ['text,label,probs:bert', 'win a free phone now,spam,"[0.1,0.9]"', 'see you at lunch,maybe,"[0.8,0.2]"', 'meeting moved to 3pm,ham,"[0.7,0.2,0.1]"'].join('\n');
  await page.getByLabel('CSV or JSONL file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Import' }).click();
  const status = page.getByTestId('import-status');
  await expect(status).toContainText('line 3:');
  await expect(status).toContainText('maybe');
  await expect(status).toContainText('line 4:');
  await page.reload();
  await expect(page.getByTestId('stat-items')).toHaveText('0');

  const good = ['text,id,time,label,probs:bert', 'win a free phone now,a1,2024-01-01,spam,"[0.1,0.9]"', 'see you at lunch,a2,2024-01-02,,"[0.8,0.2]"', 'meeting moved to 3pm,a3,2024-01-03,ham,"[0.7,0.3]"', '!!!!!!!,a4,2024-01-04,,"[0.5,0.5]"'].join('\n');
  await page.getByLabel('CSV or JSONL file').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(status).toContainText('Imported 3 of 4 rows');
  await page.reload();
  await expect(page.getByTestId('stat-items')).toHaveText('3');
  await expect(page.getByText('bert (3)')).toBeVisible();
  await page.screenshot({ path: 'test-results/phase-import.png', fullPage: true });
  expect(errors).toEqual([]);
});
