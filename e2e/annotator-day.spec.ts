import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test';
import { DEMO_ACCOUNTS, failOnConsoleErrors, login } from './fixtures';

/**
 * The day of an annotator and a lead, in Chromium against the real server and worker: a phase
 * freshly imported is labelled without a lead acting (the import builds the queue), the empty
 * queue explains itself, a flag with a note reaches the lead who resolves it, the counts survive a
 * reload, and a recent answer is changed.
 */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT || 3217)}`;
const LABELS = ['safe', 'offensive'];

async function apiAs(who: keyof typeof DEMO_ACCOUNTS): Promise<APIRequestContext> {
  const ctx = await request.newContext({ baseURL: BASE });
  const res = await ctx.post('/api/auth/login', { data: DEMO_ACCOUNTS[who] });
  expect(res.status(), `login ${who}`).toBe(200);
  return ctx;
}

async function newPhase(lead: APIRequestContext, key: string): Promise<number> {
  const res = await lead.post('/api/tasks', { data: { slug: `day-${key}-${Date.now()}`, name: `Day ${key}`, phases: [{ key, name: `Day ${key}`, labels: LABELS, threshold: 0.5, positiveLabel: 'offensive', testFraction: 0.05 }] } });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).task.phases[0].id;
}

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Imports rows with teacher probabilities through the API, and nothing else: no rebuild is asked for. */
async function importOnly(lead: APIRequestContext, phaseId: number, texts: string[]) {
  const body = ['id,text,time,probs:bert', ...texts.map((t, i) => [`d${i}`, csvCell(t), `2024-03-${String((i % 28) + 1).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`, csvCell(JSON.stringify([0.3 + (i % 5) / 20, 0.7 - (i % 5) / 20]))].join(','))].join('\n');
  const res = await lead.post(`/api/phases/${phaseId}/import?format=csv`, { headers: { 'content-type': 'text/csv' }, data: body });
  expect(res.status(), await res.text()).toBe(200);
  const { report } = await res.json();
  expect(report.imported).toBe(texts.length);
  expect(report.queueRebuild.jobId).toEqual(expect.any(Number));
}

const TEXTS = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} message ${i}: ${['you are wonderful', 'get lost, idiot', 'see you at noon', 'what a stupid take'][i % 4]}`);

failOnConsoleErrors();
const item = (page: Page) => page.getByTestId('annotate-item');
const currentId = async (page: Page) => Number(await item(page).getAttribute('data-item-id'));
async function pressAndAdvance(page: Page, key: string) {
  const before = await currentId(page);
  await page.keyboard.press(key);
  await expect(page.locator(`[data-testid="annotate-item"]:not([data-item-id="${before}"])`).or(page.getByTestId('queue-empty'))).toBeVisible();
}

let freshId = 0;
let workId = 0;

test.beforeAll(async () => {
  const lead = await apiAs('lead');
  freshId = await newPhase(lead, 'fresh');
  workId = await newPhase(lead, 'work');
  await importOnly(lead, workId, TEXTS('work', 40));
  await lead.dispose();
});

test('a freshly imported phase can be labelled without a lead acting; until then the empty queue says why', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await login(page, DEMO_ACCOUNTS.annotator);
  await page.goto(`/annotate/${freshId}`);
  const empty = page.getByTestId('queue-empty');
  await expect(empty).toHaveAttribute('data-reason', 'no-items');
  await expect(empty).toContainText('Nothing has been imported into this phase yet.');
  await expect(empty).toContainText('A lead can do this.');
  await expect(page.getByTestId('queue-empty-actions')).toHaveCount(0); // annotators get the reason, not the buttons
  await page.screenshot({ path: 'test-results/day-empty-annotator.png', fullPage: true });

  // The lead sees the action that fills it.
  const leadCtx = await browser.newContext();
  const leadPage = await leadCtx.newPage();
  await login(leadPage, DEMO_ACCOUNTS.lead);
  await leadPage.goto(`/annotate/${freshId}`);
  await expect(leadPage.getByTestId('queue-empty-actions').getByRole('link', { name: 'Import items' })).toHaveAttribute('href', `/phases/${freshId}#import`);
  await leadPage.screenshot({ path: 'test-results/day-empty-lead.png', fullPage: true });
  await leadCtx.close();

  // An import and nothing else: the annotator's open page fills by itself (the import enqueued the rebuild; the worker ran it).
  const lead = await apiAs('lead');
  await importOnly(lead, freshId, TEXTS('fresh', 12));
  await lead.dispose();
  await expect(item(page)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('score-words')).toContainText('Only the teacher model has scored this item so far');
  const first = await currentId(page);
  await pressAndAdvance(page, '2');
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  const mine = await (await page.request.get(`/api/phases/${freshId}/annotations/mine`)).json();
  expect(mine.labelled).toBe(1);
  expect(first).toBeGreaterThan(0);
});

test('counts survive a reload, and a recent answer can be changed (durably: it is still changed after a reload)', async ({ page }) => {
  await login(page, DEMO_ACCOUNTS.annotator);
  await page.goto(`/annotate/${workId}`);
  await expect(item(page)).toBeVisible();
  const session = page.getByTestId('session-count');
  await expect(session).not.toHaveText('—');
  const read = async () => Promise.all(['session-count', 'today-count', 'total-count'].map(async (id) => Number(await page.getByTestId(id).innerText())));
  const [s0, d0, t0] = await read();
  const texts: string[] = [];
  for (const key of ['1', '2', '1']) {
    texts.push(await page.getByTestId('item-text').innerText());
    await pressAndAdvance(page, key);
  }
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  await expect(session).toHaveText(String(s0 + 3));
  expect(await read()).toEqual([s0 + 3, d0 + 3, t0 + 3]);

  await page.reload();
  await expect(item(page)).toBeVisible();
  await expect(session).toHaveText(String(s0 + 3)); // from the server, not from this page's memory
  expect(await read()).toEqual([s0 + 3, d0 + 3, t0 + 3]);

  // The recent answers, newest first; change the last one from "safe" to "offensive".
  const recent = page.getByTestId('recent-answers');
  await expect(recent.locator('li[data-testid^="recent-"]').first()).toContainText(texts[2]);
  const row = recent.locator('li[data-testid^="recent-"]').first();
  await expect(row.getByTestId('recent-answer')).toHaveText('safe');
  const shown = await currentId(page);
  await row.getByRole('button', { name: 'Change' }).click();
  // While an answer is being changed, the keys leave the current item alone.
  await page.keyboard.press('1');
  await expect(item(page)).toHaveAttribute('data-item-id', String(shown));
  await page.screenshot({ path: 'test-results/day-change-1440.png', fullPage: true });
  await row.getByTestId('change-to-offensive').click();
  await expect(row.getByTestId('recent-answer')).toHaveText('offensive');
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  await page.screenshot({ path: 'test-results/day-recent-1440.png', fullPage: true });
  const itemId = Number((await row.getAttribute('data-testid'))!.slice('recent-'.length));
  const saved = (await (await page.request.get(`/api/phases/${workId}/annotations/recent?limit=5`)).json()).answers.find((a: { itemId: number }) => a.itemId === itemId);
  expect(saved).toMatchObject({ label: 'offensive', revision: 1 });
  await page.reload();
  await expect(page.getByTestId(`recent-${itemId}`).getByTestId('recent-answer')).toHaveText('offensive');
  expect(await read()).toEqual([s0 + 3, d0 + 3, t0 + 3]); // a change is not a new answer
  // Keys act again once the change is done.
  await pressAndAdvance(page, '1');
  await expect(session).toHaveText(String(s0 + 4));
});

test('a flag with a note reaches the lead’s list; the lead labels one item and sends another back to the queue', async ({ page, browser }) => {
  await login(page, DEMO_ACCOUNTS.annotator);
  await page.goto(`/annotate/${workId}`);
  await expect(item(page)).toBeVisible();
  const flaggedText = await page.getByTestId('item-text').innerText();
  const flaggedId = await currentId(page);
  await pressAndAdvance(page, 'F'); // flags at once: no dialog in the way
  const bar = page.getByTestId('flag-note');
  await expect(bar).toContainText(`item #${flaggedId}`);
  // N focuses the note; typing there labels nothing.
  const next = await currentId(page);
  await page.keyboard.press('N');
  await expect(bar.getByLabel('Note for the lead')).toBeFocused();
  await page.keyboard.type('sarcasm? reads as a joke between friends');
  await page.keyboard.press('Enter');
  await expect(bar).toHaveCount(0);
  await expect(item(page)).toHaveAttribute('data-item-id', String(next));
  const secondId = next;
  await pressAndAdvance(page, 'F'); // a second flag, without a note
  await expect(page.getByTestId('save-status')).toHaveText('all saved');

  const leadCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const lead = await leadCtx.newPage();
  await login(lead, DEMO_ACCOUNTS.lead);
  await lead.goto(`/annotate/${workId}`);
  await expect(lead.getByTestId('flags-link')).toHaveText(/Flags \(\d+\)/);
  await lead.getByTestId('flags-link').click();
  await expect(lead).toHaveURL(new RegExp(`/annotate/${workId}/flags$`));
  const row = lead.getByTestId(`flag-${flaggedId}`);
  await expect(row).toContainText(flaggedText);
  await expect(row.getByTestId('flag-note-line')).toContainText('“sarcasm? reads as a joke between friends”');
  await expect(lead.getByTestId(`flag-${secondId}`).getByTestId('flag-note-line')).toContainText('(no note)');
  await lead.screenshot({ path: 'test-results/day-flags-1440.png', fullPage: true });
  await lead.setViewportSize({ width: 390, height: 844 });
  await lead.screenshot({ path: 'test-results/day-flags-390.png', fullPage: true });
  await lead.setViewportSize({ width: 1440, height: 900 });

  await row.getByRole('button', { name: 'offensive' }).click();
  await expect(lead.getByRole('status')).toContainText(`Item #${flaggedId}: labelled by the lead as “offensive”`);
  await expect(row).toHaveCount(0);
  await lead.getByTestId(`flag-${secondId}`).getByRole('button', { name: 'Back to the queue' }).click();
  await expect(lead.getByTestId(`flag-${secondId}`)).toHaveCount(0);
  await lead.getByRole('tab', { name: 'Resolved' }).click();
  await expect(lead.getByTestId(`flag-${flaggedId}`).getByTestId('flag-status')).toContainText('labelled by the lead');
  await expect(lead.getByTestId(`flag-${secondId}`).getByTestId('flag-status')).toContainText('sent back to the queue');

  // The label is a trusted one; the item sent back is at the front of the queue (for someone holding no items yet).
  const leadApi = await apiAs('lead');
  const list = await (await leadApi.get(`/api/phases/${workId}/flags?status=resolved`)).json();
  expect(list.items.find((i: { itemId: number }) => i.itemId === flaggedId).humanLabel).toEqual({ label: 'offensive', source: 'adjudication' });
  await leadApi.dispose();
  const admin = await apiAs('admin');
  const again = await (await admin.get(`/api/phases/${workId}/queue/next?limit=1`)).json();
  expect(again.items[0].itemId).toBe(secondId);
  await admin.dispose();

  // The review page counts every annotator's answers (not only those on shared items).
  await lead.goto(`/annotate/${workId}/review`);
  const annotator = lead.getByTestId('annotator-counts').locator('tbody tr', { hasText: DEMO_ACCOUNTS.annotator.email });
  await expect(annotator).toBeVisible();
  await expect(lead.getByTestId('agreement-annotators')).toHaveText('0');
  await lead.screenshot({ path: 'test-results/day-review-1440.png', fullPage: true });
  await leadCtx.close();
});

test('the annotation page at 390 × 844 and 1440 px with counts, the flag note and recent answers (screenshots)', async ({ browser }) => {
  for (const viewport of [{ width: 390, height: 844 }, { width: 1440, height: 900 }]) {
    const ctx = await browser.newContext({ viewport, ...(viewport.width < 500 ? { hasTouch: true, isMobile: true } : {}) });
    const page = await ctx.newPage();
    await login(page, DEMO_ACCOUNTS.annotator);
    await page.goto(`/annotate/${workId}`);
    await expect(item(page)).toBeVisible();
    await page.getByTestId(`label-${LABELS[0]}`).click();
    await expect(page.getByTestId('save-status')).toHaveText('all saved');
    await page.getByRole('button', { name: /^Flag/ }).click();
    await expect(page.getByTestId('flag-note')).toBeVisible();
    await expect(page.getByTestId('recent-answers')).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `test-results/day-annotate-${viewport.width}.png`, fullPage: true });
    await ctx.close();
  }
});
