/**
 * End-to-end distillation on small real samples: a teacher trained on gold labels (a bigger
 * TextCNN, the stand-in for a fine-tuned BERT) scores an unlabelled pool; a default student
 * learns from the teacher's soft labels only and must reproduce the teacher's decisions on
 * held-out texts better than the majority-class baseline does. In the integration project: it
 * reads the real datasets (lib/datasets/registry.ts) and trains for minutes.
 */
import { describe, expect, it } from 'vitest';
import { loadBanking77, loadCold, pick, pickInt, shuffledIndices, type LabelledTexts } from '../lib/ml/datasets.ts';
import { prepareDistillationTargets } from '../lib/ml/loss.ts';
import { accuracy, classificationReport, predictLabels } from '../lib/ml/metrics.ts';
import { predictProbs } from '../lib/ml/model.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';
import { trainStudent } from '../lib/ml/train.ts';

interface Split {
  gold: LabelledTexts; // teacher's training data
  pool: string[]; // unlabelled: the student sees only the teacher's outputs
  heldOut: LabelledTexts;
}

function majorityShare(labels: Int32Array, numClasses: number): number {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels) counts[y]++;
  return Math.max(...counts) / labels.length;
}

async function distilRound(split: Split, numClasses: number) {
  const vocab = Vocab.build([...split.gold.texts, ...split.pool], { minFreq: 2 });
  const maxLen = 128;
  const teacherTrain = vocab.encodeAll(split.gold.texts, maxLen);
  const n = split.gold.texts.length;
  const teacher = await trainStudent({
    model: { arch: 'textcnn', embeddingDim: 96, filters: 96, kernelSizes: [2, 3, 4, 5], maxLen },
    train: { epochs: 5, seed: 11 },
    numClasses,
    vocabSize: vocab.size,
    data: { ids: teacherTrain, softTargets: new Float32Array(n * numClasses), softMask: new Uint8Array(n), hardLabels: split.gold.labels, weights: new Float32Array(n).fill(1) },
  });
  const poolIds = vocab.encodeAll(split.pool, maxLen);
  const heldIds = vocab.encodeAll(split.heldOut.texts, maxLen);
  const teacherPool = predictProbs(teacher.weights, poolIds);
  const teacherHeld = predictProbs(teacher.weights, heldIds);

  const targets = prepareDistillationTargets({ numClasses, teacherProbs: teacherPool });
  const student = await trainStudent({
    model: { arch: 'textcnn', maxLen },
    train: { epochs: 5, seed: 5 },
    numClasses,
    vocabSize: vocab.size,
    data: { ids: poolIds, ...targets },
  });
  const studentHeld = predictProbs(student.weights, heldIds);
  const teacherLabels = predictLabels(teacherHeld, numClasses);
  const studentLabels = predictLabels(studentHeld, numClasses);
  if (process.env.DISTILLERY_VERBOSE) console.log({ teacherVsGold: accuracy(teacherLabels, split.heldOut.labels), agreement: accuracy(studentLabels, teacherLabels), teacherMajority: majorityShare(teacherLabels, numClasses), eps: student.history.map((h) => Math.round(h.examplesPerSecond)) });
  return {
    teacherVsGold: accuracy(teacherLabels, split.heldOut.labels),
    goldMajority: majorityShare(split.heldOut.labels, numClasses),
    agreement: accuracy(studentLabels, teacherLabels),
    teacherMajority: majorityShare(teacherLabels, numClasses),
    studentVsTeacher: classificationReport(studentLabels, teacherLabels, numClasses),
    studentHistory: student.history,
  };
}

function slice(data: LabelledTexts, idx: Int32Array): LabelledTexts {
  return { texts: pick(data.texts, idx), labels: pickInt(data.labels, idx), labelNames: data.labelNames };
}

/** Seeded split: `gold` training texts for the teacher, the next `pool` as its unlabelled pool, `heldOut` test texts. */
function splitOf(train: LabelledTexts, test: LabelledTexts, seed: number, gold: number, pool: number, heldOut: number): Split {
  const order = shuffledIndices(train.texts.length, seed);
  const testOrder = shuffledIndices(test.texts.length, seed + 1).subarray(0, heldOut);
  return { gold: slice(train, order.subarray(0, gold)), pool: pick(train.texts, order.subarray(gold, gold + pool)), heldOut: slice(test, testOrder) };
}

describe('distillation on real data', () => {
  it('COLD: a distilled TextCNN reproduces the teacher better than the majority baseline', async () => {
    const r = await distilRound(splitOf(loadCold('train'), loadCold('test'), 3, 1200, 1200, 400), 2);
    // The teacher is a real model (better than guessing the majority gold label)...
    expect(r.teacherVsGold).toBeGreaterThan(r.goldMajority + 0.05);
    // ...and the student learnt its decisions from soft labels alone.
    expect(r.agreement).toBeGreaterThan(r.teacherMajority + 0.1);
    expect(r.studentVsTeacher.macroF1).toBeGreaterThan(0.65);
    expect(r.studentHistory.at(-1)!.loss).toBeLessThan(r.studentHistory[0].loss);
  }, 180_000);

  it('Banking77: 77 classes distil the same way (nothing assumes two classes)', async () => {
    const r = await distilRound(splitOf(loadBanking77('train'), loadBanking77('test'), 5, 2500, 2500, 500), 77);
    expect(r.teacherVsGold).toBeGreaterThan(0.3); // majority ≈ 0.03
    expect(r.agreement).toBeGreaterThan(Math.max(0.3, r.teacherMajority * 5));
    expect(r.studentVsTeacher.perClass).toHaveLength(77);
  }, 180_000);
});
