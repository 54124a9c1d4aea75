import { describe, expect, it } from 'vitest';
import { Rng } from '../ml/rng.ts';
import { readOnnxMetadata } from '../ml/onnx.ts';
import { memberSpans, nbFeatureWeights, REFERENCE_V1, REFERENCE_V2, referenceTeacher, teacherPredict, trainTeacher, type TeacherSpec } from './reference.ts';

/**
 * A two-class toy language: every text mixes neutral characters with cue characters of its
 * class, and 15% of the training labels are flipped, so a model has to weigh evidence.
 */
const NEUTRAL = '的了是在我有他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里';
const CUES = ['好棒赞美喜欢开心感谢优秀', '坏烂差恶讨厌生气垃圾滚蛋'];
function toyTexts(n: number, seed: number, noise = 0) {
  const rng = new Rng(seed);
  const pick = (s: string) => s[Math.floor(rng.next() * s.length)];
  const texts: string[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    let t = '';
    for (let k = 0; k < 8 + Math.floor(rng.next() * 8); k++) t += rng.next() < 0.25 ? pick(CUES[y]) : pick(NEUTRAL);
    texts.push(t);
    labels[i] = rng.next() < noise ? 1 - y : y;
  }
  return { texts, labels, truth: Int32Array.from({ length: n }, (_, i) => i % 2) };
}

const SMALL: TeacherSpec = {
  name: 'toy',
  version: '3',
  members: [
    { model: { arch: 'ngram', wordOrders: [1, 2], charOrders: [], buckets: 1 << 16 }, train: { epochs: 4, seed: 1 }, nbStrength: 0.5 },
    { model: { arch: 'textcnn', embeddingDim: 16, filters: 16, kernelSizes: [1, 2], maxLen: 32 }, train: { epochs: 3, seed: 1, learningRate: 1e-2 } },
  ],
};

describe('reference teacher', () => {
  it('NB feature weights favour n-grams that one class uses over ones that both use, and keep padding at 0', () => {
    // Feature 2 only in class-0 texts, feature 3 in every text, feature 4 mostly class 1.
    const rows = [[2, 3], [2, 3], [2, 3, 4], [3, 4], [3, 4], [3, 4]];
    const labels = [0, 0, 0, 1, 1, 1];
    const offsets = Int32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).flat().length)]);
    const ids = { offsets, tokens: Int32Array.from(rows.flat()) };
    const idf = Float32Array.from([0, 1, 1.5, 1, 1.2]);
    expect(Array.from(nbFeatureWeights(ids, labels, 2, idf, 0))).toEqual(Array.from(idf));
    const w = nbFeatureWeights(ids, labels, 2, idf, 1);
    expect(w[0]).toBe(0);
    expect(w[3]).toBeLessThan(0.1); // in every text: log-ratio |log((4/12)/(4/11))| ≈ 0.09
    expect(w[2]).toBeCloseTo(1.5 * Math.log(4 / 12 / (1 / 11)), 5); // add-one counts 4 and 1 of class totals 12 and 11
    expect(w[4]).toBeGreaterThan(0);
    expect(w[4] / idf[4]).toBeLessThan(w[2] / idf[2]); // 4 also shows up once in class 0
    // Three classes: a feature of one class stands out against the rest.
    const w3 = nbFeatureWeights(ids, [0, 0, 0, 1, 2, 2], 3, idf, 0.5);
    expect(w3[2]).toBeGreaterThan(w3[3]);
  });

  it('an ensemble of different families trains on hard labels, beats its noisy labels and resumes without retraining kept members', async () => {
    const train = toyTexts(600, 1, 0.15);
    const test = toyTexts(200, 2);
    const trained: number[] = [];
    const teacher = await trainTeacher(SMALL, train.texts, train.labels, 2, { onMember: async (m) => void trained.push(m) });
    expect(trained).toEqual([0, 1]);
    expect(teacher.members.map((b) => readOnnxMetadata(b)['distillery.member'])).toEqual(['0', '1']);
    const p = await teacherPredict(teacher, test.texts);
    expect(p.modelVersion).toBe('toy@3');
    let correct = 0;
    for (let i = 0; i < test.texts.length; i++) if ((p.probs[2 * i + 1] > p.probs[2 * i] ? 1 : 0) === test.truth[i]) correct++;
    expect(correct / test.texts.length).toBeGreaterThan(0.9); // the training labels are 85% right

    // A restarted run with member 0 kept trains member 1 only, and the kept bytes are used as they are.
    const resumed: number[] = [];
    const again = await trainTeacher(SMALL, train.texts, train.labels, 2, { done: [teacher.members[0], null], onMember: async (m) => void resumed.push(m) });
    expect(resumed).toEqual([1]);
    expect(again.members[0]).toBe(teacher.members[0]);
  });

  it('the NB strength applies to n-gram members only', async () => {
    const { texts, labels } = toyTexts(20, 3);
    const bad: TeacherSpec = { name: 'bad', version: '1', members: [{ model: { arch: 'textcnn', embeddingDim: 8, filters: 4, kernelSizes: [1], maxLen: 16 }, train: { epochs: 1 }, nbStrength: 0.5 }] };
    await expect(trainTeacher(bad, texts, labels, 2)).rejects.toThrow(/n-gram members only/);
  });

  it("each member's share of the training follows its cost: reference-v2's n-gram member is a sliver, its TextCNN nearly all", () => {
    const spans = memberSpans(REFERENCE_V2);
    expect(spans[0].start).toBe(0);
    expect(spans[0].span).toBeLessThan(0.1);
    expect(spans[1].start).toBeCloseTo(spans[0].span);
    expect(spans[0].span + spans[1].span).toBeCloseTo(1);
    // Two members of one architecture and one epoch count: halves.
    expect(memberSpans(REFERENCE_V1).map((s) => s.span)).toEqual([0.5, 0.5]);
  });

  it('the demo trains reference-v2 unless told otherwise; v1 stays available by name', () => {
    expect(referenceTeacher()).toBe(REFERENCE_V2);
    expect(referenceTeacher('reference-v1')).toBe(REFERENCE_V1);
    expect(() => referenceTeacher('bert')).toThrow(/unknown reference teacher "bert"/);
    expect(REFERENCE_V2.members.map((m) => m.model.arch)).toEqual(['ngram', 'textcnn']);
  });
});
