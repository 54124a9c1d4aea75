import { describe, expect, it } from 'vitest';
import { scoreInWords } from './score-words';
import { initialHighlight, suggestedLabel } from './suggested-label';
import type { QueueItem } from './types';

const score = (js: number, flip: boolean, margin = 0.6) => ({ js, kl: js * 2, flip, margin, loss: 0.3 });

describe('scoreInWords', () => {
  it('says in plain words how much the models disagree, without the jargon', () => {
    expect(scoreInWords(score(0.4, true))).toMatch(/^The two models pick different labels and disagree strongly\./);
    expect(scoreInWords(score(0.1, false))).toMatch(/same label and disagree somewhat/);
    expect(scoreInWords(score(0.01, false))).toMatch(/disagree barely/);
    expect(scoreInWords(score(0.1, false, 0.05))).toMatch(/; the student model is unsure\./);
    expect(scoreInWords(null)).toMatch(/Only the teacher/);
    // Before any round: the teacher's doubt is what put the item here.
    expect(scoreInWords(null, [0.45, 0.4, 0.15])).toMatch(/Only the teacher model has scored this item so far, and it is unsure \(45% against 40%\)/);
    expect(scoreInWords(null, [0.9, 0.1])).toBe('Only the teacher model has scored this item so far.');
    for (const s of [scoreInWords(score(0.4, true, 0.1)), scoreInWords(null)]) expect(s).not.toMatch(/\b(JS|KL|margin|loss|divergence)\b/);
  });
});

describe('initialHighlight', () => {
  const item = { itemId: 1, text: 't', leaseExpiresAt: '', teacher: { probs: [0.2, 0.8], label: 'spam' }, student: { probs: [0.9, 0.1], label: 'ham', modelId: 1 }, score: null } satisfies QueueItem;
  it('starts with no label chosen by default, whatever the models say', () => {
    expect(initialHighlight(item, ['ham', 'spam'])).toBeNull();
    expect(initialHighlight(undefined, ['ham', 'spam'])).toBeNull();
  });
  it('pre-selects the student’s label, else the teacher’s, only when asked to', () => {
    expect(initialHighlight(item, ['ham', 'spam'], true)).toBe(0);
    expect(suggestedLabel({ ...item, student: null }, ['ham', 'spam'])).toBe(1);
    expect(suggestedLabel({ ...item, student: null, teacher: null }, ['ham', 'spam'])).toBeNull();
  });
});
