import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCold, pick, pickInt, shuffledIndices } from './datasets.ts';
import { OnnxStudent } from './inference.ts';
import { predictProbs } from './model.ts';
import { exportOnnx, readOnnxMetadata } from './onnx.ts';
import { Vocab } from './tokenizer.ts';
import { trainStudent } from './train.ts';

/** Small real models (COLD sample, gold labels, 2 epochs): trained weights, not random ones, are what gets exported. */
const train = loadCold('train');
const order = shuffledIndices(train.texts.length, 21);
const texts = pick(train.texts, order.subarray(0, 400));
const labels = pickInt(train.labels, order.subarray(0, 400));
const probe = [...pick(train.texts, order.subarray(400, 520)), '', '😀😀 ok', '好'];
const vocab = Vocab.build(texts, { minFreq: 2 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function trained(model: { arch: 'textcnn' } | { arch: 'bilstm'; layers?: number }) {
  const n = texts.length;
  const res = await trainStudent({
    model: { ...model, maxLen: 64 },
    train: { epochs: 2, seed: 1 },
    numClasses: 2,
    vocabSize: vocab.size,
    data: { ids: vocab.encodeAll(texts, 64), softTargets: new Float32Array(n * 2), softMask: new Uint8Array(n), hardLabels: labels, weights: new Float32Array(n).fill(1) },
  });
  return res.weights;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('ONNX export + onnxruntime-node', () => {
  for (const model of [{ arch: 'textcnn' as const }, { arch: 'bilstm' as const }, { arch: 'bilstm' as const, layers: 2 }]) {
    const name = `${model.arch}${'layers' in model ? ` ×${model.layers}` : ''}`;
    it(`${name}: onnxruntime reproduces the tfjs probabilities; padded batches equal single items`, async () => {
      const weights = await trained(model);
      const ids = vocab.encodeAll(probe, weights.config.maxLen);
      const reference = predictProbs(weights, ids);

      const file = path.join(tmp, `${name.replace(/\W/g, '')}.onnx`);
      fs.writeFileSync(file, exportOnnx(weights, { vocab: vocab.toJSON(), metadata: { 'distillery.test': 'yes' } }));
      const meta = readOnnxMetadata(fs.readFileSync(file));
      expect(JSON.parse(meta['distillery.config'])).toEqual(weights.config);
      expect(meta['distillery.test']).toBe('yes');

      const student = await OnnxStudent.load(file);
      const fromTexts = (await student.predict(probe, { batchSize: 32 })).probs;
      expect(maxAbsDiff(fromTexts, reference)).toBeLessThan(1e-4);

      const oneByOne = new Float32Array(fromTexts.length);
      for (let i = 0; i < probe.length; i++) oneByOne.set((await student.predict([probe[i]])).probs, i * 2);
      expect(maxAbsDiff(oneByOne, fromTexts)).toBeLessThan(1e-6);

      // The browser runtime (onnxruntime-web, wasm) runs the same file to the same numbers.
      const web = await ortWeb.InferenceSession.create(fs.readFileSync(file));
      const first = Array.from({ length: 8 }, (_, i) => vocab.encode(probe[i], weights.config.maxLen));
      const L = Math.max(...first.map((a) => a.length));
      const padded = new BigInt64Array(8 * L);
      first.forEach((a, i) => a.forEach((id, t) => (padded[i * L + t] = BigInt(id))));
      const webProbs = (await web.run({ input_ids: new ortWeb.Tensor('int64', padded, [8, L]) })).probs.data as Float32Array;
      expect(maxAbsDiff(webProbs, reference.subarray(0, 16))).toBeLessThan(1e-4);
      await web.release();

      // Not a degenerate model: the probabilities vary across texts.
      const p1 = Array.from({ length: probe.length }, (_, i) => fromTexts[i * 2 + 1]);
      expect(Math.max(...p1) - Math.min(...p1)).toBeGreaterThan(0.1);
      await student.release();
    }, 120_000);
  }

  it('a model without embedded vocabulary scores ids, and texts once given a vocab', async () => {
    const weights = await trained({ arch: 'textcnn' });
    const bytes = exportOnnx(weights);
    const bare = await OnnxStudent.load(bytes);
    await expect(bare.predict(['你好'])).rejects.toThrow(/vocabulary/);
    const ids = [vocab.encode('你好', 64), vocab.encode('这是什么东西', 64)];
    const withVocab = await OnnxStudent.load(bytes, { vocab: vocab.toJSON() });
    expect(maxAbsDiff((await bare.predict(ids)).probs, (await withVocab.predict(['你好', '这是什么东西'])).probs)).toBe(0);
  }, 60_000);
});
