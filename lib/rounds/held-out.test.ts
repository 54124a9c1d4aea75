import { describe, expect, it } from 'vitest';
import { buildVocab } from '../ml/features.ts';
import { prepareDistillationTargets } from '../ml/loss.ts';
import { predictProbs } from '../ml/model.ts';
import { Rng } from '../ml/rng.ts';
import { trainStudent } from '../ml/train.ts';
import { parseRoundConfig } from './config.ts';
import { foldOf, heldOutProbs, subsetPacked } from './held-out.ts';

/**
 * A constructed pool: texts made of topic words; the true class is 1 iff the text has a "bad"
 * word. The teacher is right except on a known set of 60 items, where it is confidently wrong.
 * A student trained on the whole pool partly learns those 60 wrong labels (each text also carries
 * an id word of its own, which a linear n-gram model can use to memorise it); a held-out student,
 * which never saw them, contradicts the teacher there more firmly.
 */
function pool(n: number) {
  const rng = new Rng(4);
  const good = ['sun', 'tea', 'book', 'walk', 'song', 'park', 'cake', 'rain'];
  const bad = ['idiot', 'trash', 'stupid', 'loser'];
  const texts: string[] = [];
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 4 }, () => good[rng.int(good.length)]);
    truth[i] = rng.next() < 0.4 ? 1 : 0;
    if (truth[i]) words[rng.int(4)] = bad[rng.int(bad.length)];
    texts.push(`${words.join(' ')} id${i}x`);
  }
  const wrong = new Set<number>();
  while (wrong.size < 60) wrong.add(rng.int(n));
  const teacher = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const said = wrong.has(i) ? 1 - truth[i] : truth[i];
    teacher[i * 2 + said] = 0.95;
    teacher[i * 2 + 1 - said] = 0.05;
  }
  return { texts, truth, teacher, wrong };
}

describe('held-out pool scoring', () => {
  it('folds are stable by item id and spread over every fold', () => {
    const f = Array.from({ length: 3000 }, (_, i) => foldOf(i + 1, 3));
    expect(f).toEqual(Array.from({ length: 3000 }, (_, i) => foldOf(i + 1, 3)));
    for (let k = 0; k < 3; k++) expect(f.filter((x) => x === k).length).toBeGreaterThan(900);
  });

  it('subsetPacked keeps the chosen rows in order', () => {
    const packed = { offsets: Int32Array.from([0, 2, 2, 5]), tokens: Int32Array.from([1, 2, 3, 4, 5]) };
    const s = subsetPacked(packed, [2, 0]);
    expect(Array.from(s.offsets)).toEqual([0, 3, 5]);
    expect(Array.from(s.tokens)).toEqual([3, 4, 5, 1, 2]);
  });

  it('finds the items where the teacher is wrong, and trusts the teacher there less than the round\'s own student', async () => {
    const n = 1200;
    const p = pool(n);
    const config = parseRoundConfig({ model: { arch: 'ngram', minCount: 1 } });
    const vocab = buildVocab(config.model, p.texts);
    const ids = vocab.encodeAll(p.texts, config.model.maxLen);
    // Human labels on 100 other items (never among the teacher's mistakes).
    const human = new Int32Array(n).fill(-1);
    for (let i = 0, k = 0; k < 100; i += 7) if (!p.wrong.has(i)) (human[i] = p.truth[i]), k++;
    const targets = prepareDistillationTargets({ numClasses: 2, teacherProbs: p.teacher, humanLabels: human });
    const itemIds = Array.from({ length: n }, (_, i) => 1000 + i);

    const full = await trainStudent({ model: config.model, train: { seed: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data: { ids, ...targets } });
    const fullProbs = predictProbs(full.weights, ids);
    const held = await heldOutProbs({ config, vocab, ids, targets, itemIds, numClasses: 2, folds: 3 });
    // Every teacher-only item is scored once; human-labelled ones are not.
    expect(held.rows.length).toBe(n - 100);
    expect(Array.from(held.rows).some((r) => human[r] >= 0)).toBe(false);

    // Of the 100 items that contradict the teacher most, how many are its mistakes?
    const top = (probsOf: (k: number) => number, rows: ArrayLike<number>) => {
      const order = Array.from(rows, (r, k) => ({ r, loss: -Math.log(Math.max(1e-7, probsOf(k))) })).sort((a, b) => b.loss - a.loss);
      return order.slice(0, 100).filter((x) => p.wrong.has(x.r)).length;
    };
    const teacherLabel = (r: number) => (p.teacher[r * 2 + 1] > 0.5 ? 1 : 0);
    const heldTop = top((k) => held.probs[k * 2 + teacherLabel(held.rows[k])], held.rows);
    const fullTop = top((k) => fullProbs[held.rows[k] * 2 + teacherLabel(held.rows[k])], held.rows);
    expect(heldTop).toBeGreaterThanOrEqual(50); // 60 mistakes in the pool; nearly all found
    expect(fullTop).toBeLessThanOrEqual(heldTop);
    // On the teacher's mistakes, the student that trained on them gives the teacher's label more
    // credence than the held-out one: what it memorised is what the queue must not trust.
    const wrongRows = Array.from(held.rows.entries()).filter(([, r]) => p.wrong.has(r));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const heldCredence = mean(wrongRows.map(([k, r]) => held.probs[k * 2 + teacherLabel(r)]));
    const fullCredence = mean(wrongRows.map(([, r]) => fullProbs[r * 2 + teacherLabel(r)]));
    expect(fullCredence).toBeGreaterThan(heldCredence + 0.05);
  }, 60_000);
});
