import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test';

/**
 * Shipping a student in the browser: two small rounds are trained on a fresh phase (the e2e
 * server runs the demo with --no-train and a worker), round 0 goes live, then a lead reviews
 * round 1's flip set against it, approves it, deploys it as a 50 % canary and promotes it; the
 * try-it page's in-browser answer equals the predict API's within 1e-4; rollback restores
 * round 0; an annotator sees no controls and gets 403 from the APIs.
 */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT || 3217)}`;
const ACCOUNTS = {
  lead: { email: 'lead@distillery.local', password: 'lead-demo-pass' },
  annotator: { email: 'annotator@distillery.local', password: 'annotator-demo-pass' },
};
type Who = keyof typeof ACCOUNTS;

const WORDS = ['好', '坏', '滚', '赞', '垃圾', '谢谢', '地域', '加油', '讨厌', '喜欢', '哈哈', '骂'];
let phaseId = 0;
const models: number[] = [];

async function apiAs(who: Who): Promise<APIRequestContext> {
  const ctx = await request.newContext({ baseURL: BASE });
  const res = await ctx.post('/api/auth/login', { data: ACCOUNTS[who] });
  expect(res.status(), `login ${who}`).toBe(200);
  return ctx;
}

async function login(page: Page, who: Who) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(ACCOUNTS[who].email);
  await page.getByLabel('Password').fill(ACCOUNTS[who].password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
}

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function trainRound(lead: APIRequestContext, seed: number): Promise<number> {
  const started = await lead.post(`/api/phases/${phaseId}/rounds`, { data: { model: { arch: 'textcnn', embeddingDim: 16, filters: 16, kernelSizes: [1, 2] }, train: { epochs: 1, seed } } });
  expect(started.status(), await started.text()).toBe(201);
  const { round } = await started.json();
  let r = round;
  for (let i = 0; i < 300 && !['succeeded', 'failed', 'cancelled'].includes(r.status); i++) {
    await new Promise((res) => setTimeout(res, 1000));
    r = (await (await lead.get(`/api/rounds/${round.id}`)).json()).round;
  }
  expect(r.status, r.error ?? '').toBe('succeeded');
  return r.modelId as number;
}

test.beforeAll(async () => {
  test.setTimeout(600_000);
  const lead = await apiAs('lead');
  const res = await lead.post('/api/tasks', { data: { slug: `ship-${Date.now()}`, name: 'E2E shipping', phases: [{ key: 'tox', name: 'Toxic?', labels: ['safe', 'offensive'], threshold: 0.4, positiveLabel: 'offensive', testFraction: 0.2 }] } });
  expect(res.status(), await res.text()).toBe(201);
  phaseId = (await res.json()).task.phases[0].id;
  const rows = Array.from({ length: 400 }, (_, i) => {
    const text = `${WORDS[i % WORDS.length]}${WORDS[(i * 7 + 3) % WORDS.length]} 第${i}条 ${WORDS[(i * 5 + 1) % WORDS.length]}`;
    const off = ((i * 37) % 100) / 100;
    return [`r${i}`, csvCell(text), new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), csvCell(JSON.stringify([1 - off, off])), i % 4 === 0 ? (off >= 0.4 ? 'offensive' : 'safe') : ''].join(',');
  });
  const imported = await lead.post(`/api/phases/${phaseId}/import?format=csv`, { headers: { 'content-type': 'text/csv' }, data: ['id,text,time,probs:bert,label', ...rows].join('\n') });
  expect(imported.status()).toBe(200);
  models.push(await trainRound(lead, 1));
  models.push(await trainRound(lead, 2));
  // Round 0 goes live first, so round 1 has something to flip against.
  expect((await lead.post(`/api/models/${models[0]}/approve`, { data: { note: 'baseline' } })).status()).toBe(200);
  expect((await lead.post(`/api/models/${models[0]}/deploy`, { data: { note: 'baseline' } })).status()).toBe(200);
  await lead.dispose();
});

test('a lead reviews the flip set, approves, canaries at 50 %, promotes, tries it in the browser and rolls back', async ({ page }) => {
  test.setTimeout(300_000);
  const r0 = `p${phaseId}.r0`;
  const r1 = `p${phaseId}.r1`;
  await login(page, 'lead');

  // Flip set of round 1 against the live round 0.
  await page.goto(`/models/${models[1]}`);
  await expect(page.getByTestId('flip-summary')).toContainText(`${r1} vs deployed ${r0}`);
  await expect(page.getByTestId('flip-summary')).toContainText(/test slice \d+ flips of \d+/);

  // Approve with a note, then a 50 % canary.
  const actions = page.getByTestId(`model-actions-${models[1]}`);
  await actions.getByLabel('note').fill('flip set reviewed');
  const approved = page.waitForResponse((r) => r.url().endsWith(`/api/models/${models[1]}/approve`));
  await actions.getByRole('button', { name: 'Approve' }).click();
  expect((await approved).status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId('model-status').first()).toHaveText('approved');
  await page.getByTestId(`model-actions-${models[1]}`).getByLabel('canary share %').fill('50');
  await page.getByTestId(`model-actions-${models[1]}`).getByRole('button', { name: 'Canary' }).click();
  const serving = page.getByTestId(`serving-${phaseId}`);
  await expect(serving.getByTestId('canary')).toContainText(`${r1} at 50 %`);

  // Half of the requests go to the canary; the agreement with live is counted.
  const served: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await page.request.post(`/api/v1/phases/${phaseId}/predict`, { data: { texts: ['好赞', '滚 垃圾'] } });
    expect(r.status()).toBe(200);
    served.push((await r.json()).servedBy);
  }
  expect(served.filter((s) => s === 'canary')).toHaveLength(3);
  await page.reload();
  await expect(serving.getByTestId('canary')).toContainText(/agreement with live \d/);
  await serving.getByRole('button', { name: 'Promote' }).click();
  await page.reload();
  await expect(serving.getByTestId('live-version')).toHaveText(r1);

  // Try it: the page runs the live student with onnxruntime-web and compares with the API.
  await page.goto(`/models/try/${phaseId}`);
  await expect(page.getByTestId('tryit-status')).toHaveText('ready', { timeout: 60_000 });
  const text = '你好 垃圾 滚 😡 iPhone12';
  await page.getByTestId('tryit-text').fill(text);
  await page.getByTestId('tryit-run').click();
  await expect(page.getByTestId('tryit-diff')).toContainText('same answer');
  const diff = Number(await page.getByTestId('tryit-diff').getAttribute('data-diff'));
  expect(diff).toBeLessThanOrEqual(1e-4);
  const api = (await (await page.request.post(`/api/v1/phases/${phaseId}/predict`, { data: { texts: [text] } })).json()).results[0];
  expect(api.modelVersion).toBe(r1);
  await expect(page.getByTestId('browser-label')).toHaveText(api.label);
  for (const l of ['safe', 'offensive']) expect(Math.abs(Number(await page.getByTestId(`browser-p-${l}`).textContent()) - api.probs[l])).toBeLessThanOrEqual(1e-4);

  // Rollback: one click back to round 0.
  await page.goto('/models');
  await page.getByTestId(`serving-${phaseId}`).getByRole('button', { name: 'Rollback' }).click();
  await expect(page.getByTestId(`serving-${phaseId}`).getByTestId('live-version')).toHaveText(r0);
  const after = await page.request.post(`/api/v1/phases/${phaseId}/predict`, { data: { texts: ['好'] } });
  expect((await after.json()).modelVersion).toBe(r0);
});

test('an annotator sees no approve/deploy controls and gets 403 from those APIs', async ({ page }) => {
  await login(page, 'annotator');
  await page.goto('/models');
  await expect(page.getByTestId(`model-row-${models[1]}`)).toBeVisible();
  await expect(page.getByRole('button', { name: /Approve|Deploy|Canary|Rollback|Promote/ })).toHaveCount(0);
  await page.goto(`/models/${models[1]}`);
  await expect(page.getByTestId('model-card')).toBeVisible();
  await expect(page.getByRole('button', { name: /Approve|Deploy|Canary|Rollback|Promote/ })).toHaveCount(0);
  const annotator = await apiAs('annotator');
  expect((await annotator.post(`/api/models/${models[1]}/approve`, { data: {} })).status()).toBe(403);
  expect((await annotator.post(`/api/models/${models[1]}/deploy`, { data: {} })).status()).toBe(403);
  expect((await annotator.post(`/api/phases/${phaseId}/rollback`, { data: {} })).status()).toBe(403);
  expect((await annotator.post(`/api/phases/${phaseId}/promote`, { data: {} })).status()).toBe(403);
  expect((await annotator.post(`/api/v1/phases/${phaseId}/predict`, { data: { texts: ['x'] } })).status()).toBe(403);
  expect((await annotator.get(`/api/models/${models[1]}/download`)).status()).toBe(403);
  await annotator.dispose();
});
