import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBanking77, loadCold, pick, pickInt, shuffledIndices } from './datasets.ts';
import { buildVocab, vocabFromJSON } from './features.ts';
import { OnnxStudent } from './inference.ts';
import { accuracy, predictLabels } from './metrics.ts';
import { predictProbs, type StudentWeights } from './model.ts';
import { parseStudentConfig, type StudentConfigInput } from './config.ts';
import { exportOnnx } from './onnx.ts';
import { decodeCheckpoint, trainStudent, weightsFromCheckpoint, type TrainCheckpoint } from './train.ts';
import { killedCheckpoint } from './test-support.ts';
import { resolveThreads } from './ngram-student.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-ngram-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function sameWeights(a: StudentWeights, b: StudentWeights) {
  expect(Object.keys(a.params).sort()).toEqual(Object.keys(b.params).sort());
  for (const k of Object.keys(a.params)) expect(Buffer.from(a.params[k].data.buffer).equals(Buffer.from(b.params[k].data.buffer))).toBe(true);
}

/** A COLD sample with gold labels: hard labels only. */
function coldSample(from: number, n: number) {
  const train = loadCold('train');
  const order = shuffledIndices(train.texts.length, 21).subarray(from, from + n);
  return { texts: pick(train.texts, order), labels: pickInt(train.labels, order) };
}

function hardData(ids: ReturnType<ReturnType<typeof buildVocab>['encodeAll']>, labels: Int32Array, C: number) {
  const n = labels.length;
  return { ids, softTargets: new Float32Array(n * C), softMask: new Uint8Array(n), hardLabels: labels, weights: new Float32Array(n).fill(1) };
}

describe('n-gram student', () => {
  const sample = coldSample(0, 1500);
  const probe = [...coldSample(1500, 100).texts, '', '😀😀 ok', '好', 'Where is my card? 卡丢了'];

  for (const model of [{ arch: 'ngram' }, { arch: 'ngram', embeddingDim: 16 }, { arch: 'ngram', embeddingDim: 16, linear: true }] as StudentConfigInput[]) {
    const name = 'linear' in model ? 'bag + linear' : 'embeddingDim' in model ? 'bag' : 'linear';
    it(`${name}: the exported ONNX graph reproduces the TypeScript forward pass (node and web runtimes, padded batches)`, async () => {
      const config = parseStudentConfig(model);
      const vocab = buildVocab(config, sample.texts);
      const res = await trainStudent({ model: config, train: { epochs: 2, seed: 3 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data: hardData(vocab.encodeAll(sample.texts, config.maxLen), sample.labels, 2) });
      expect(res.backend).toBe('js');
      const reference = predictProbs(res.weights, vocab.encodeAll(probe, config.maxLen));
      const file = path.join(tmp, `${name.replace(/\W+/g, '_')}.onnx`);
      fs.writeFileSync(file, exportOnnx(res.weights, { vocab: vocab.toJSON() }));
      const student = await OnnxStudent.load(file);
      const batched = (await student.predict(probe, { batchSize: 32 })).probs;
      expect(maxAbsDiff(batched, reference)).toBeLessThan(1e-5);
      const single = new Float32Array(batched.length);
      for (let i = 0; i < probe.length; i++) single.set((await student.predict([probe[i]])).probs, i * 2);
      expect(maxAbsDiff(single, batched)).toBeLessThan(1e-6);
      await student.release();

      const web = await ortWeb.InferenceSession.create(fs.readFileSync(file));
      const rows = probe.slice(0, 8).map((t) => vocabFromJSON(vocab.toJSON()).encode(t, config.maxLen));
      const L = Math.max(...rows.map((r) => r.length));
      const padded = new BigInt64Array(8 * L);
      rows.forEach((r, i) => r.forEach((id, t) => (padded[i * L + t] = BigInt(id))));
      const webProbs = (await web.run({ input_ids: new ortWeb.Tensor('int64', padded, [8, L]) })).probs.data as Float32Array;
      expect(maxAbsDiff(webProbs, reference.subarray(0, 16))).toBeLessThan(1e-5);
      await web.release();

      // A trained model, not a constant: probabilities vary and it learned the sample.
      const p1 = Array.from({ length: probe.length }, (_, i) => batched[i * 2 + 1]);
      expect(Math.max(...p1) - Math.min(...p1)).toBeGreaterThan(0.3);
      const fit = accuracy(predictLabels(predictProbs(res.weights, vocab.encodeAll(sample.texts, config.maxLen)), 2), sample.labels);
      expect(fit).toBeGreaterThan(0.9);
    }, 60_000);
  }

  it('a bag with a linear term: two heads, each trained on its own loss as its own student would be, scored as the mean of their logits', async () => {
    expect(() => parseStudentConfig({ arch: 'ngram', linear: true })).toThrow(/embeddingDim/);
    expect(() => parseStudentConfig({ arch: 'ngram', embeddingDim: 8, linear: true, activation: 'relu' })).toThrow(/activation/);
    // Configs without the field stay as they were (stored configs and checkpoints compare by JSON).
    expect('linear' in parseStudentConfig({ arch: 'ngram', embeddingDim: 8 })).toBe(false);
    const C = 3;
    const texts = sample.texts.slice(0, 600);
    const labels = Int32Array.from(texts, (t) => t.length % C);
    const heads = parseStudentConfig({ arch: 'ngram', embeddingDim: 8, linear: true });
    const vocab = buildVocab(heads, texts);
    const V = vocab.size;
    const data = hardData(vocab.encodeAll(texts, heads.maxLen), labels, C);
    const res = await trainStudent({ model: heads, train: { epochs: 2, seed: 9, batchSize: 4, threads: 1 }, numClasses: C, vocabSize: V, vocab: vocab.toJSON(), data });
    const P = res.weights.params;
    expect(P.embedding.shape).toEqual([V, 8 + C]);
    expect(P['dense.kernel'].shape).toEqual([8, C]);
    expect(P['dense.bias'].shape).toEqual([2, C]);
    // The linear head (the last C columns, the second bias) is the linear student's forward pass;
    // the bag head (the first 8 columns, the first bias) the bag's; the model scores their mean logits.
    const linear = parseStudentConfig({ arch: 'ngram' });
    const bag = parseStudentConfig({ arch: 'ngram', embeddingDim: 8 });
    const columns = (from: number, to: number) => {
      const out = new Float32Array(V * (to - from));
      for (let r = 0; r < V; r++) for (let q = from; q < to; q++) out[r * (to - from) + q - from] = P.embedding.data[r * (8 + C) + q];
      return out;
    };
    const bias = P['dense.bias'].data;
    const asLinear: StudentWeights = { ...res.weights, config: linear, params: { embedding: { shape: [V, C], data: columns(8, 8 + C) }, idf: P.idf, 'dense.bias': { shape: [C], data: bias.slice(C) } } };
    const asBag: StudentWeights = { ...res.weights, config: bag, params: { embedding: { shape: [V, 8], data: columns(0, 8) }, idf: P.idf, 'dense.kernel': P['dense.kernel'], 'dense.bias': { shape: [C], data: bias.slice(0, C) } } };
    const probeIds = vocab.encodeAll(probe, heads.maxLen);
    const pl = predictProbs(asLinear, probeIds);
    const pb = predictProbs(asBag, probeIds);
    const mean = new Float32Array(pl.length);
    for (let i = 0; i < probe.length; i++) {
      let z = 0;
      for (let k = 0; k < C; k++) z += mean[i * C + k] = Math.sqrt(pl[i * C + k] * pb[i * C + k]);
      for (let k = 0; k < C; k++) mean[i * C + k] /= z;
    }
    expect(maxAbsDiff(predictProbs(res.weights, probeIds), mean)).toBeLessThan(1e-5);
    // Trained apart: the linear head learns as the linear student does (same order of examples up to
    // the bag's random start), so both heads fit the sample.
    const fit = (w: StudentWeights) => accuracy(predictLabels(predictProbs(w, data.ids), C), labels);
    expect(fit(asLinear)).toBeGreaterThan(0.6);
    expect(fit(asBag)).toBeGreaterThan(0.6);

    // Two threads and a resume from a checkpoint, as the other shapes.
    const base = { model: heads, train: { epochs: 3, seed: 4, threads: 2 }, numClasses: C, vocabSize: V, vocab: vocab.toJSON(), data };
    const two = await trainStudent(base);
    sameWeights(two.weights, (await trainStudent(base)).weights);
    const saved = await killedCheckpoint(base, (p) => p.epoch === 1 && p.step > 50);
    sameWeights((await trainStudent({ ...base, resumeFrom: saved })).weights, two.weights);
    expect(fit(two.weights)).toBeGreaterThan(0.6);
  }, 120_000);

  it('learns a held-out 77-class task (Banking77 sample) far above chance', async () => {
    const tr = loadBanking77('train');
    const order = shuffledIndices(tr.texts.length, 5);
    const trainIdx = order.subarray(0, 4000);
    const testIdx = order.subarray(4000, 5000);
    const config = parseStudentConfig({ arch: 'ngram' });
    const texts = pick(tr.texts, trainIdx);
    const vocab = buildVocab(config, texts);
    const res = await trainStudent({ model: config, train: { epochs: 8 }, numClasses: 77, vocabSize: vocab.size, vocab: vocab.toJSON(), data: hardData(vocab.encodeAll(texts, config.maxLen), pickInt(tr.labels, trainIdx), 77) });
    const acc = accuracy(predictLabels(predictProbs(res.weights, vocab.encodeAll(pick(tr.texts, testIdx), config.maxLen)), 77), pickInt(tr.labels, testIdx));
    // TF-IDF + logistic regression reaches about 0.85 with 4,000 training rows.
    expect(acc).toBeGreaterThan(0.8);
  }, 60_000);

  it('learns from soft targets alone: distilled from a teacher, it agrees with the teacher', async () => {
    // The "teacher": a fixed rule on the text (offensive iff it contains 黑 or 滚), soft 0.9/0.1.
    const texts = sample.texts;
    const rule = (t: string) => (/[黑滚]/.test(t) ? 1 : 0);
    const n = texts.length;
    const soft = new Float32Array(n * 2);
    texts.forEach((t, i) => ((soft[i * 2 + rule(t)] = 0.9), (soft[i * 2 + 1 - rule(t)] = 0.1)));
    const config = parseStudentConfig({ arch: 'ngram' });
    const vocab = buildVocab(config, texts);
    const res = await trainStudent({ model: config, train: { epochs: 4 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data: { ids: vocab.encodeAll(texts, config.maxLen), softTargets: soft, softMask: new Uint8Array(n).fill(1), hardLabels: new Int32Array(n).fill(-1), weights: new Float32Array(n).fill(1) } });
    const held = coldSample(2000, 500).texts;
    const agree = accuracy(predictLabels(predictProbs(res.weights, vocab.encodeAll(held, config.maxLen)), 2), Int32Array.from(held, rule));
    expect(agree).toBeGreaterThan(0.9);
  }, 60_000);

  it('is deterministic for a seed, and a run killed mid-epoch resumes from its checkpoint to the same model', async () => {
    const config = parseStudentConfig({ arch: 'ngram', embeddingDim: 8 });
    const vocab = buildVocab(config, sample.texts);
    const base = { model: config, train: { epochs: 3, seed: 11, batchSize: 4 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data: hardData(vocab.encodeAll(sample.texts, config.maxLen), sample.labels, 2) };
    const full = await trainStudent(base);
    sameWeights(full.weights, (await trainStudent(base)).weights);

    const saved = await killedCheckpoint(base, (p) => p.epoch === 1 && p.step > 100);
    expect(decodeCheckpoint(saved).epoch).toBe(1);
    const resumed = await trainStudent({ ...base, resumeFrom: saved });
    sameWeights(resumed.weights, full.weights);
    // The checkpoint stands for the averaged model, as the result does.
    const last: TrainCheckpoint[] = [];
    await trainStudent({ ...base, train: { ...base.train, epochs: 1 }, onEpochEnd: (cp) => void last.push(cp) });
    const one = await trainStudent({ ...base, train: { ...base.train, epochs: 1 } });
    sameWeights(weightsFromCheckpoint(last[0]), one.weights);
  }, 60_000);

  it('on two threads: reproduces itself for a seed, resumes from a checkpoint to the same model, and learns as well as one thread', async () => {
    const config = parseStudentConfig({ arch: 'ngram' });
    const vocab = buildVocab(config, sample.texts);
    const held = coldSample(1600, 600);
    const heldIds = vocab.encodeAll(held.texts, config.maxLen);
    const base = { model: config, train: { epochs: 3, seed: 5, threads: 2 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data: hardData(vocab.encodeAll(sample.texts, config.maxLen), sample.labels, 2) };
    const two = await trainStudent(base);
    sameWeights(two.weights, (await trainStudent(base)).weights);
    // The shares merge: not the one-thread model, but as good (within noise) on held-out texts.
    const one = await trainStudent({ ...base, train: { ...base.train, threads: 1 } });
    expect(maxAbsDiff(one.weights.params.embedding.data, two.weights.params.embedding.data)).toBeGreaterThan(0);
    const acc = (w: StudentWeights) => accuracy(predictLabels(predictProbs(w, heldIds), 2), held.labels);
    expect(acc(two.weights)).toBeGreaterThan(acc(one.weights) - 0.02);
    expect(acc(two.weights)).toBeGreaterThan(0.75);

    const saved = await killedCheckpoint(base, (p) => p.epoch === 2 && p.step > 50);
    const cp = decodeCheckpoint(saved);
    expect(cp.epoch).toBe(2);
    expect(cp.train.threads).toBe(2);
    // Resumed without naming the thread count (as a round's retry on another machine would), it keeps the checkpoint's.
    const { threads: _t, ...unnamed } = base.train;
    const resumed = await trainStudent({ ...base, train: unnamed, resumeFrom: saved });
    sameWeights(resumed.weights, two.weights);
    await expect(trainStudent({ ...base, train: { ...base.train, threads: 1 }, resumeFrom: saved })).rejects.toThrow('another training config');
  }, 120_000);

  it('trains on one thread unless told otherwise (a second measured slower); a resume keeps its own count', () => {
    const saved = process.env.DISTILLERY_TRAIN_THREADS;
    try {
      delete process.env.DISTILLERY_TRAIN_THREADS;
      expect(resolveThreads(undefined)).toBe(1);
      expect(resolveThreads(2)).toBe(2);
      expect(resolveThreads(undefined, 2)).toBe(2);
      process.env.DISTILLERY_TRAIN_THREADS = '2';
      expect(resolveThreads(undefined)).toBe(2);
      expect(resolveThreads(undefined, 1)).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.DISTILLERY_TRAIN_THREADS;
      else process.env.DISTILLERY_TRAIN_THREADS = saved;
    }
  });

  it('feature weights replace the idf: kept as given, applied by the ONNX graph', async () => {
    const config = parseStudentConfig({ arch: 'ngram' });
    const vocab = buildVocab(config, sample.texts);
    const data = hardData(vocab.encodeAll(sample.texts, config.maxLen), sample.labels, 2);
    const featureWeights = Float32Array.from({ length: vocab.size }, (_, f) => (f === 0 ? 0 : 1 + (f % 5)));
    const res = await trainStudent({ model: config, train: { epochs: 1, threads: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data, featureWeights });
    expect(Array.from(res.weights.params.idf.data)).toEqual(Array.from(featureWeights));
    const plain = await trainStudent({ model: config, train: { epochs: 1, threads: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data });
    expect(maxAbsDiff(res.weights.params.embedding.data, plain.weights.params.embedding.data)).toBeGreaterThan(1e-3);
    const student = await OnnxStudent.load(exportOnnx(res.weights, { vocab: vocab.toJSON() }));
    expect(maxAbsDiff((await student.predict(probe)).probs, predictProbs(res.weights, vocab.encodeAll(probe, config.maxLen)))).toBeLessThan(1e-5);
    await student.release();
  }, 60_000);

  it('warm start begins from the given weights and refuses other shapes', async () => {
    const config = parseStudentConfig({ arch: 'ngram' });
    const vocab = buildVocab(config, sample.texts);
    const data = hardData(vocab.encodeAll(sample.texts, config.maxLen), sample.labels, 2);
    const first = await trainStudent({ model: config, train: { epochs: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data });
    // Zero epochs from a start point give the start point back.
    const kept = await trainStudent({ model: config, train: { epochs: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data, initFrom: first.weights, shouldStop: () => true });
    sameWeights(kept.weights, first.weights);
    await expect(trainStudent({ model: { ...config, embeddingDim: 4 }, train: { epochs: 1 }, numClasses: 2, vocabSize: vocab.size, vocab: vocab.toJSON(), data, initFrom: first.weights })).rejects.toThrow(/another shape/);
  }, 60_000);
});
