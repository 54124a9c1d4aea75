import { expect, request, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { DEMO_ACCOUNTS, failOnConsoleErrors, login } from './fixtures';

/**
 * Annotation in the browser against the real queue API: a task is created and imported through
 * the API (items with teacher probabilities, no student yet), then annotators work it with the
 * keyboard only.
 */
const BASE = `http://127.0.0.1:${Number(process.env.E2E_PORT || 3217)}`;
const ACCOUNTS = {
  ...DEMO_ACCOUNTS,
  annotator2: { email: `annotator2-${Date.now()}@distillery.local`, password: 'second-annotator-pass' },
};
type Who = keyof typeof ACCOUNTS;

const SOLO_LABELS = ['ham', 'spam', 'promo'];
const XSS_SCRIPT = 'look <script>window.__xss=1</script> here';
const XSS_IMG = 'and <img src=x onerror="window.__xss=1"> there';
const MIXED = 'Mixed scripts: 你这个人真是太过分了 😡🔥 — مرحبا بالعالم — Привет, мир! 👩🏽‍💻 and a long unbroken token ' + 'x'.repeat(180);

let soloId = 0;
let pairId = 0;
let xssId = 0;
let manyId = 0;
const MANY_LABELS = Array.from({ length: 12 }, (_, i) => `intent_${String.fromCharCode(97 + i)}`);

async function apiAs(who: Who): Promise<APIRequestContext> {
  const ctx = await request.newContext({ baseURL: BASE });
  const res = await ctx.post('/api/auth/login', { data: ACCOUNTS[who] });
  expect(res.status(), `login ${who}`).toBe(200);
  return ctx;
}

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A CSV with teacher probabilities in the phase's label order. */
function csv(rows: { text: string; probs: number[] }[]): string {
  return ['id,text,time,probs:bert', ...rows.map((r, i) => [`r${i}`, csvCell(r.text), `2024-01-${String((i % 28) + 1).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`, csvCell(JSON.stringify(r.probs))].join(','))].join('\n');
}

async function importRows(lead: APIRequestContext, phaseId: number, rows: { text: string; probs: number[] }[]) {
  const res = await lead.post(`/api/phases/${phaseId}/import?format=csv`, { headers: { 'content-type': 'text/csv', accept: 'application/x-ndjson' }, data: csv(rows) });
  expect(res.status()).toBe(200);
  const last = JSON.parse((await res.text()).trim().split('\n').pop()!);
  expect(last.type, JSON.stringify(last)).toBe('done');
  expect(last.report.imported).toBe(rows.length);
  const rebuilt = await lead.post(`/api/phases/${phaseId}/queue/rebuild?wait=120`); // a worker job; waits for it
  expect(rebuilt.status(), await rebuilt.text()).toBeLessThan(300);
}

function probs(i: number, n: number): number[] {
  // Varied, normalised teacher distributions so the queue has something to rank.
  const raw = Array.from({ length: n }, (_, j) => 1 + ((i * 7 + j * 13) % 11) * (j === i % n ? 3 : 1));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => Math.round((x / sum) * 1e4) / 1e4);
}

test.beforeAll(async () => {
  const admin = await apiAs('admin');
  const created = await admin.post('/api/admin/users', { data: { email: ACCOUNTS.annotator2.email, name: 'Second Annotator', role: 'annotator', password: ACCOUNTS.annotator2.password } });
  expect(created.status(), await created.text()).toBe(201);

  const lead = await apiAs('lead');
  const slug = `annot-${Date.now()}`;
  const res = await lead.post('/api/tasks', {
    data: {
      slug,
      name: 'E2E annotation',
      phases: [
        { key: 'solo', name: 'Solo', labels: SOLO_LABELS, testFraction: 0.05 },
        { key: 'pair', name: 'Pair', labels: ['yes', 'no'], testFraction: 0.05 },
        { key: 'inert', name: 'Inert text', labels: ['safe', 'offensive'], testFraction: 0.05 },
        { key: 'many', name: 'Many intents', labels: MANY_LABELS, testFraction: 0.05 },
      ],
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { task } = await res.json();
  const byKey = Object.fromEntries(task.phases.map((p: { key: string; id: number }) => [p.key, p.id]));
  [soloId, pairId, xssId, manyId] = [byKey.solo, byKey.pair, byKey.inert, byKey.many];

  await importRows(lead, soloId, Array.from({ length: 140 }, (_, i) => ({ text: `solo message number ${i}: ${['see you at lunch', 'win a free phone', 'fifty percent off today', 'meeting moved'][i % 4]} #${i}`, probs: probs(i, 3) })));
  await importRows(lead, pairId, Array.from({ length: 8 }, (_, i) => ({ text: `pair item ${i} ${i % 2 ? 'differ' : 'agree'}`, probs: probs(i, 2) })));
  await importRows(lead, xssId, [
    { text: XSS_SCRIPT, probs: [0.1, 0.9] },
    { text: XSS_IMG, probs: [0.2, 0.8] },
    { text: MIXED, probs: [0.3, 0.7] },
    { text: `A long comment that wraps over several lines. ${'The quick brown fox jumps over the lazy dog. '.repeat(12)}`, probs: [0.6, 0.4] },
    { text: 'plain filler item one', probs: [0.5, 0.5] },
    { text: 'plain filler item two', probs: [0.55, 0.45] },
  ]);
  await importRows(lead, manyId, Array.from({ length: 4 }, (_, i) => ({ text: `which intent is message ${i}?`, probs: probs(i, MANY_LABELS.length) })));
  await Promise.all([admin.dispose(), lead.dispose()]);
});

async function newAnnotator(browser: Browser, who: Who): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  watchConsole(page);
  await login(page, ACCOUNTS[who]);
  return page;
}

const { watch: watchConsole, allow: allowConsole } = failOnConsoleErrors();

const item = (page: Page) => page.getByTestId('annotate-item');
const currentId = async (page: Page) => Number(await item(page).getAttribute('data-item-id'));

/** Presses a key and waits until a different item is shown; returns the new item's id, or null when the queue ran out. */
async function pressAndAdvance(page: Page, key: string): Promise<number | null> {
  const before = await currentId(page);
  await page.keyboard.press(key);
  const next = page.locator(`[data-testid="annotate-item"]:not([data-item-id="${before}"])`);
  const empty = page.getByTestId('queue-empty');
  await expect(next.or(empty)).toBeVisible();
  return (await empty.isVisible()) ? null : currentId(page);
}

async function mine(page: Page, phaseId: number) {
  const res = await page.request.get(`/api/phases/${phaseId}/annotations/mine`);
  expect(res.status()).toBe(200);
  return (await res.json()) as { total: number; labelled: number; skipped: number; flagged: number; today: number };
}

/** Records, in the page, the time from each keydown to the next item being in the DOM. */
const measureLatency = () => {
  const w = window as unknown as { __lat: number[]; __key: number };
  w.__lat = [];
  w.__key = 0;
  addEventListener('keydown', () => (w.__key = performance.now()), true);
  let last: string | undefined;
  new MutationObserver(() => {
    const id = (document.querySelector('[data-testid="annotate-item"]') as HTMLElement | null)?.dataset.itemId;
    if (id !== last) {
      if (w.__key && last !== undefined) w.__lat.push(performance.now() - w.__key);
      w.__key = 0;
      last = id;
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
};

test('an annotator labels 20 items with the keyboard only; the next item appears at once', async ({ page }) => {
  await page.addInitScript(measureLatency);
  await login(page, ACCOUNTS.annotator);
  const before = await mine(page, soloId);
  await page.goto('/annotate');
  await expect(page.getByTestId(`annotate-phase-${soloId}`)).toContainText('ham');
  await expect(page.getByRole('link', { name: 'Review' })).toHaveCount(0); // leads only
  await page.screenshot({ path: 'test-results/annotate-phases.png', fullPage: true });
  await page.getByRole('link', { name: 'E2E annotation / Solo' }).click();
  await expect(page).toHaveURL(new RegExp(`/annotate/${soloId}$`));
  await expect(item(page)).toBeVisible();
  await expect(page.getByTestId('queue-remaining')).not.toHaveText('—');
  // The label set decides the keys.
  for (const [i, l] of SOLO_LABELS.entries()) await expect(page.getByTestId(`label-${l}`)).toContainText(`${i + 1}${l}`);
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText('label “promo”');
  await page.screenshot({ path: 'test-results/annotate-help.png', fullPage: true });
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  await expect(page.getByTestId('session-count')).not.toHaveText('—');
  const s0 = Number(await page.getByTestId('session-count').innerText());
  const seen = [await currentId(page)];
  const keys = ['1', '2', '3', 'Enter'];
  for (let i = 0; i < 20; i++) {
    const key = keys[i % keys.length];
    // Enter confirms the highlighted label. No label is highlighted when an item appears, and Enter
    // alone does nothing; an arrow chooses one first.
    if (key === 'Enter') {
      await expect(page.locator('[role="radio"][aria-checked="true"]')).toHaveCount(0);
      const shown = await currentId(page);
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('accept')).toBeDisabled();
      await expect(item(page)).toHaveAttribute('data-item-id', String(shown));
      await page.keyboard.press('ArrowDown');
      await expect(page.locator('[role="radio"][aria-checked="true"]')).toHaveCount(1);
    }
    seen.push((await pressAndAdvance(page, key))!);
    await expect(page.getByTestId('session-count')).toHaveText(String(s0 + i + 1));
  }
  expect(new Set(seen).size).toBe(21);
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  await page.screenshot({ path: 'test-results/annotate.png', fullPage: true });
  const after = await mine(page, soloId);
  expect(after.labelled - before.labelled).toBe(20);

  // Arrows move the highlight that Enter accepts; F flags, S skips.
  const checked = page.locator('[role="radio"][aria-checked="true"]');
  await page.keyboard.press('ArrowDown'); // from no label to the first
  await expect(checked).toHaveAttribute('data-testid', `label-${SOLO_LABELS[0]}`);
  const from = SOLO_LABELS.indexOf((await checked.getAttribute('data-testid'))!.slice('label-'.length));
  await page.keyboard.press('ArrowDown');
  await expect(checked).toHaveAttribute('data-testid', `label-${SOLO_LABELS[(from + 1) % 3]}`);
  await pressAndAdvance(page, 'F');
  await pressAndAdvance(page, 'S');
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  const last = await mine(page, soloId);
  expect([last.labelled, last.flagged, last.skipped]).toEqual([after.labelled, after.flagged + 1, after.skipped + 1]);

  const lat = (await page.evaluate(() => (window as unknown as { __lat: number[] }).__lat)).sort((a, b) => a - b);
  expect(lat.length).toBeGreaterThanOrEqual(20);
  const median = lat[Math.floor(lat.length / 2)];
  console.log(`key → next item in DOM: median ${median.toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(1)} ms over ${lat.length} items`);
  expect(median).toBeLessThanOrEqual(50);
});

test('Backspace restores the previous item, both while its answer is pending and after it was saved', async ({ page }) => {
  await login(page, ACCOUNTS.annotator);
  await page.goto(`/annotate/${soloId}`);
  await expect(item(page)).toBeVisible();
  const before = await mine(page, soloId);

  // Saved answer: wait for the acknowledgement, then undo through the API.
  const first = await currentId(page);
  const firstText = await page.getByTestId('item-text').innerText();
  await pressAndAdvance(page, '2');
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).total).toBe(before.total + 1);
  await page.keyboard.press('Backspace');
  await expect(item(page)).toHaveAttribute('data-item-id', String(first));
  await expect(page.getByTestId('item-text')).toHaveText(firstText);
  await expect(page.getByTestId('label-spam')).toHaveAttribute('aria-checked', 'true'); // the undone answer is highlighted
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).total).toBe(before.total);

  // Pending answer: hold the request so the answer is not acknowledged, then undo it.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/annotations', async (route) => {
    await held;
    await route.continue();
  });
  const second = await pressAndAdvance(page, '1'); // `first` answered (its request is held)
  const third = await pressAndAdvance(page, '3'); // `second` answered (waits behind it)
  await expect(page.getByTestId('save-status')).toContainText('2 pending');
  await page.keyboard.press('Backspace');
  await expect(item(page)).toHaveAttribute('data-item-id', String(second));
  await expect(page.getByTestId('save-status')).toContainText('1 pending');
  release();
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  await page.unroute('**/annotations');
  // `first`'s new answer was saved; `second`'s never left the browser.
  expect((await mine(page, soloId)).total).toBe(before.total + 1);
  expect(third).not.toBe(second);
  // The restored item can be answered again.
  await pressAndAdvance(page, '1');
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).total).toBe(before.total + 2);
});

test('a reload loses nothing: pending answers survive, are re-sent once, and their items are not shown again', async ({ page }) => {
  allowConsole(/net::ERR_FAILED/); // only the dropped connections below, never a 4xx
  await login(page, ACCOUNTS.annotator);
  await page.goto(`/annotate/${soloId}`);
  await expect(item(page)).toBeVisible();
  const before = await mine(page, soloId);

  // The server stores each answer, but the browser never hears back (a dropped connection).
  await page.route('**/annotations', async (route) => {
    await route.fetch();
    await route.abort('failed');
  });
  const answered: number[] = [];
  for (const key of ['1', '2', '3']) {
    answered.push(await currentId(page));
    await pressAndAdvance(page, key);
  }
  await expect(page.getByTestId('save-status')).toContainText('3 pending');
  await page.reload();
  await expect(item(page)).toBeVisible();
  await expect(page.getByTestId('save-status')).toContainText('3 pending');
  await expect(page.getByTestId('save-error')).toContainText('the server cannot be reached');
  expect(answered).not.toContain(await currentId(page));

  await page.unroute('**/annotations');
  await expect(page.getByTestId('save-status')).toHaveText('all saved', { timeout: 40_000 });
  // Re-sent with the same client ids: three answers, each acknowledged, none rejected as a repeat.
  expect((await mine(page, soloId)).total).toBe(before.total + 3);
  await expect(page.getByText(/Not saved/)).toHaveCount(0);
  await expect(page.getByTestId('save-error')).toHaveCount(0);
  await page.reload();
  await expect(item(page)).toBeVisible();
  expect(answered).not.toContain(await currentId(page));
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  // After a reload Backspace still undoes the last saved answer (through the server).
  await page.keyboard.press('Backspace');
  await expect(item(page)).toHaveAttribute('data-item-id', String(answered[2]));
  await expect(page.getByTestId('label-promo')).toHaveAttribute('aria-checked', 'true');
  await expect.poll(async () => (await mine(page, soloId)).total).toBe(before.total + 2);
});

test('two annotators in two browsers never see the same item (overlap k = 1)', async ({ browser }) => {
  const a = await newAnnotator(browser, 'annotator');
  const b = await newAnnotator(browser, 'annotator2');
  await Promise.all([a.goto(`/annotate/${soloId}`), b.goto(`/annotate/${soloId}`)]);
  await Promise.all([expect(item(a)).toBeVisible(), expect(item(b)).toBeVisible()]);
  const seenA = [await currentId(a)];
  const seenB = [await currentId(b)];
  for (let i = 0; i < 8; i++) {
    await a.keyboard.press('ArrowDown'); // choose a label, then Enter accepts it
    await expect(a.locator('[role="radio"][aria-checked="true"]')).toHaveCount(1);
    seenA.push((await pressAndAdvance(a, 'Enter'))!);
    seenB.push((await pressAndAdvance(b, '2'))!);
  }
  expect(seenA.filter((id) => seenB.includes(id))).toEqual([]);
  // What each holds right now (their leased batches) is disjoint too.
  const [qa, qb] = await Promise.all([a, b].map((p) => p.request.get(`/api/phases/${soloId}/queue/next?limit=20`).then((r) => r.json())));
  const idsA = qa.items.map((x: { itemId: number }) => x.itemId);
  const idsB = qb.items.map((x: { itemId: number }) => x.itemId);
  expect(idsA.length).toBeGreaterThan(0);
  expect(idsB.length).toBeGreaterThan(0);
  expect(idsA.filter((id: number) => idsB.includes(id))).toEqual([]);
  await Promise.all([expect(a.getByTestId('save-status')).toHaveText('all saved'), expect(b.getByTestId('save-status')).toHaveText('all saved')]);
  await a.context().close();
  await b.context().close();
});

test('with overlap k = 2 both annotators see each item; agreement and conflicts appear for the lead, who adjudicates', async ({ page, browser }) => {
  await login(page, ACCOUNTS.lead);
  await page.goto(`/annotate/${pairId}/review`);
  await expect(page.getByRole('heading', { name: 'Review: Pair' })).toBeVisible();
  await page.getByLabel('Overlap k (annotators per item)').fill('2');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Overlap set to k = 2');

  /** Labels every item of the pair phase: "agree" items yes; "differ" items yes for one annotator, no for the other. */
  async function labelAll(p: Page, differ: string): Promise<number[]> {
    await p.goto(`/annotate/${pairId}`);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      const empty = p.getByTestId('queue-empty');
      await expect(item(p).or(empty)).toBeVisible();
      if (await empty.isVisible()) break;
      const text = await p.getByTestId('item-text').innerText();
      seen.push(await currentId(p));
      if ((await pressAndAdvance(p, text.endsWith('differ') ? differ : '1')) === null) break;
    }
    await expect(p.getByTestId('save-status')).toHaveText('all saved');
    return seen.sort((x, y) => x - y);
  }
  const a = await newAnnotator(browser, 'annotator');
  const b = await newAnnotator(browser, 'annotator2');
  const seenA = await labelAll(a, '1');
  const seenB = await labelAll(b, '2');
  expect(seenA.length).toBeGreaterThanOrEqual(6);
  expect(seenB).toEqual(seenA);
  await a.context().close();
  await b.context().close();

  const differ = Math.floor(seenA.length / 2);
  await page.reload();
  await expect(page.getByTestId('agreement-items')).toHaveText(String(seenA.length));
  await expect(page.getByTestId('agreement-percent')).toHaveText(`${((100 * (seenA.length - differ)) / seenA.length).toFixed(1)}%`);
  await expect(page.getByTestId('agreement-cohen')).not.toHaveText('—');
  await expect(page.getByTestId('agreement-pairs').locator('tbody tr')).toHaveCount(1);
  const conflicts = page.getByTestId('conflicts').locator('tbody tr[data-testid^="conflict-"]');
  await expect(conflicts).toHaveCount(differ);
  await expect(conflicts.first()).toContainText('differ');
  await page.screenshot({ path: 'test-results/review.png', fullPage: true });
  const adjudicated = Number((await conflicts.first().getAttribute('data-testid'))!.slice('conflict-'.length));
  await conflicts.first().getByRole('button', { name: 'no' }).click();
  await expect(conflicts).toHaveCount(differ - 1);
  await expect(page.getByTestId(`conflict-${adjudicated}`)).toHaveCount(0);

  // The export has every label with its annotator and the distributions that were shown.
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const file = await (await download).path();
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toContain('annotator');
  expect(lines.filter((l) => l.includes('annotator@distillery.local'))).toHaveLength(seenA.length);
  expect(lines.filter((l) => l.includes(ACCOUNTS.annotator2.email))).toHaveLength(seenA.length);
  expect(lines.some((l) => l.includes('teacher'))).toBe(true);
});

test('the review page and the lead APIs are for leads only', async ({ page }) => {
  allowConsole(/status of 403/);
  await login(page, ACCOUNTS.annotator);
  const res = await page.goto(`/annotate/${pairId}/review`);
  expect(res?.status()).toBe(403);
  await expect(page.getByText('Forbidden')).toBeVisible();
  expect((await page.request.get(`/api/phases/${pairId}/agreement`)).status()).toBe(403);
  expect((await page.request.post(`/api/phases/${pairId}/adjudicate`, { data: { itemId: 1, label: 'yes' } })).status()).toBe(403);
  expect((await page.request.patch(`/api/phases/${pairId}`, { data: { overlap: 3 } })).status()).toBe(403);
});

test('item text with <script> and <img onerror> is shown as literal text and runs nothing; emoji and mixed scripts render', async ({ page }) => {
  await login(page, ACCOUNTS.annotator);
  await page.goto(`/annotate/${xssId}`);
  const seen = new Set<string>();
  for (let i = 0; i < 6 && seen.size < 3; i++) {
    await expect(item(page)).toBeVisible();
    const text = await page.getByTestId('item-text').innerText();
    if ([XSS_SCRIPT, XSS_IMG, MIXED].includes(text)) {
      seen.add(text);
      await expect(page.getByTestId('item-text')).toHaveText(text);
      if (text === MIXED) await page.screenshot({ path: 'test-results/annotate-mixed.png', fullPage: true });
      if (text === XSS_IMG) await page.screenshot({ path: 'test-results/annotate-xss.png', fullPage: true });
    }
    await expect(item(page).locator('script, img')).toHaveCount(0);
    if ((await pressAndAdvance(page, 'S')) === null) break;
  }
  expect([...seen].sort()).toEqual([XSS_SCRIPT, XSS_IMG, MIXED].sort());
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

test('after a round has scored the pool, the annotator sees both distributions and the disagreement score', async ({ page }) => {
  test.setTimeout(300_000);
  const lead = await apiAs('lead');
  const started = await lead.post(`/api/phases/${soloId}/rounds`, { data: { train: { epochs: 1 } } });
  expect(started.status(), await started.text()).toBe(201);
  const { round } = await started.json();
  let status = round.status as string;
  for (let i = 0; i < 240 && !['succeeded', 'failed', 'cancelled'].includes(status); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    status = (await (await lead.get(`/api/rounds/${round.id}`)).json()).round.status;
  }
  expect(status).toBe('succeeded');
  const rebuilt = await lead.post(`/api/phases/${soloId}/queue/rebuild?wait=120`); // a worker job; waits for it
  expect(rebuilt.status(), await rebuilt.text()).toBe(200);
  expect((await rebuilt.json()).rebuilt.modelId).not.toBeNull();
  await lead.dispose();

  await login(page, ACCOUNTS.lead); // a fresh annotator: holds no leases from the teacher-only queue
  await page.goto(`/annotate/${soloId}`);
  await expect(item(page)).toBeVisible();
  await expect(page.getByTestId('score-js')).toContainText(/JS \d\.\d{3}/);
  await expect(page.getByTestId('bar-student')).toHaveCount(SOLO_LABELS.length);
  await expect(page.getByTestId('bar-teacher')).toHaveCount(SOLO_LABELS.length);
  // The student's percentages add up to 100 (give or take rounding).
  const pcts = await page.getByTestId('bar-student').allInnerTexts();
  const sum = pcts.map((t) => Number(t.replace('%', ''))).reduce((a, b) => a + b, 0);
  expect(Math.abs(sum - 100)).toBeLessThan(0.5);
  // The models' choices are marked but not pre-chosen: no label is highlighted, one row says "student".
  await expect(page.locator('[role="radio"][aria-checked="true"]')).toHaveCount(0);
  await expect(page.locator('[role="radio"]').filter({ has: page.getByTestId('choice-student') })).toHaveCount(1);
  await expect(page.locator('[role="radio"]').filter({ has: page.getByTestId('choice-teacher') })).toHaveCount(1);
  await expect(page.getByTestId('score-words')).toContainText('The two models');
  await page.screenshot({ path: 'test-results/annotate-scored.png', fullPage: true });
  await page.keyboard.press('ArrowUp');
  await expect(page.locator('[role="radio"][aria-checked="true"]')).toHaveCount(1);
  await pressAndAdvance(page, 'Enter');
  // Forty more answers: one in twenty served items is a random audit pick, so the yield has its baseline.
  for (let i = 0; i < 40; i++) if ((await pressAndAdvance(page, '1')) === null) break;
  await expect(page.getByTestId('save-status')).toHaveText('all saved');

  // The phase's rounds view shows the yield of these answers next to the random baseline.
  await page.goto('/rounds');
  const y = page.getByTestId(`yield-${soloId}`);
  await expect(y).toBeVisible();
  await expect(y.getByTestId('yield-queue')).toHaveText(/^\d+\.\d%$/);
  await expect(y.getByTestId('yield-baseline')).toHaveText(/^\d+\.\d%$/);
  await expect(y.getByTestId(`yield-round-${round.number}`)).toBeVisible();
  await y.screenshot({ path: 'test-results/rounds-yield.png' });
});

test('with more than nine labels the number is typed: "1","2" picks the twelfth label, "5" the fifth at once', async ({ page }) => {
  await login(page, ACCOUNTS.annotator);
  await page.goto(`/annotate/${manyId}`);
  await expect(item(page)).toBeVisible();
  await expect(page.getByTestId('label-intent_l')).toContainText('12intent_l');
  const first = await currentId(page);
  // "1" alone could still become 10, 11 or 12: nothing happens until the next digit.
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  await expect(item(page)).not.toHaveAttribute('data-item-id', String(first));
  const second = await currentId(page);
  await page.keyboard.press('5');
  await expect(item(page)).not.toHaveAttribute('data-item-id', String(second));
  await expect(page.getByTestId('save-status')).toHaveText('all saved');

  const lead = await apiAs('lead');
  const rows = (await (await lead.get(`/api/phases/${manyId}/labels/export?format=jsonl`)).text()).trim().split('\n').map((l) => JSON.parse(l));
  await lead.dispose();
  const labelOf = (id: number) => rows.find((r) => r.itemId === id)?.label;
  expect([labelOf(first), labelOf(second)]).toEqual(['intent_l', 'intent_e']);
});

test('on a 390 × 844 phone: the menu collapses, five items are labelled by tapping, nothing scrolls sideways, text wraps normally', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await ctx.newPage();
  watchConsole(page);
  await login(page, ACCOUNTS.annotator2);
  await page.goto(`/annotate/${soloId}`);
  await expect(item(page)).toBeVisible();
  // The sidebar is a menu.
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await page.getByTestId('menu-button').tap();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await page.getByTestId('menu-button').tap();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();

  const noSideways = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await noSideways();
  for (const l of SOLO_LABELS) {
    const box = (await page.getByTestId(`label-${l}`).boundingBox())!;
    expect(box.height, `${l} tap target height`).toBeGreaterThanOrEqual(44);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  }
  await page.screenshot({ path: 'test-results/annotate-390.png', fullPage: true });

  const before = await mine(page, soloId);
  // The session count comes from the server: this annotator's earlier answers (other tests, minutes ago) are in it.
  await expect(page.getByTestId('session-count')).not.toHaveText('—');
  const s0 = Number(await page.getByTestId('session-count').innerText());
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = await currentId(page);
    seen.push(id);
    await page.getByTestId(`label-${SOLO_LABELS[i % SOLO_LABELS.length]}`).tap();
    await expect(page.locator(`[data-testid="annotate-item"]:not([data-item-id="${id}"])`)).toBeVisible();
    await expect(page.getByTestId('session-count')).toHaveText(String(s0 + i + 1));
  }
  expect(new Set(seen).size).toBe(5);
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).labelled - before.labelled).toBe(5);

  // Mixed Chinese / Arabic / emoji text wraps across the width of the phone, not every few characters.
  await page.goto(`/annotate/${xssId}`);
  await expect(item(page)).toBeVisible();
  const text = page.getByTestId('item-text');
  expect((await text.boundingBox())!.width).toBeGreaterThan(300);
  await noSideways();
  await page.screenshot({ path: 'test-results/annotate-390-text.png', fullPage: true });
  await ctx.close();
});

test('with the key help open, number keys, arrows, S, F and Backspace change nothing; Escape closes it and keys act again', async ({ page }) => {
  await login(page, ACCOUNTS.annotator2);
  await page.goto(`/annotate/${soloId}`);
  await expect(item(page)).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: 'test-results/annotate-1440.png', fullPage: true });
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  const before = await mine(page, soloId);
  const shown = await currentId(page);
  await expect(page.getByTestId('session-count')).not.toHaveText('—');
  const s0 = Number(await page.getByTestId('session-count').innerText());

  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  for (const k of ['1', '2', '3', 'ArrowDown', 's', 'f', 'Backspace']) await page.keyboard.press(k);
  await expect(dialog).toBeVisible();
  await expect(item(page)).toHaveAttribute('data-item-id', String(shown));
  await expect(page.getByTestId('session-count')).toHaveText(String(s0));
  await expect(page.locator('[role="radio"][aria-checked="true"]')).toHaveCount(0);
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).total).toBe(before.total);

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await pressAndAdvance(page, '1');
  await expect(page.getByTestId('session-count')).toHaveText(String(s0 + 1));
  await expect(page.getByTestId('save-status')).toHaveText('all saved');
  expect((await mine(page, soloId)).total).toBe(before.total + 1);
});
