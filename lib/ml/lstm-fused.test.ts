import { describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend.ts';
import { parseStudentConfig, type StudentConfigInput } from './config.ts';
import { fusedBiLstmGradients, fusedBiLstmLogits, lstmKernel } from './lstm-fused.ts';
import { shareDropout, shareRows } from './lstm-parallel.ts';
import { denseParamNames, forwardInputs, forwardLogits, initWeights, makeBatch, paramTensors, type StudentWeights } from './model.ts';
import { SparseRows } from './optimizer.ts';
import { Rng } from './rng.ts';
import { packIds } from './tokenizer.ts';
import { computeGradients, decodeCheckpoint, trainStudent, type TrainData } from './train.ts';
import { killedCheckpoint } from './test-support.ts';

const VOCAB = 50;

/** Texts of ids 2..39 (1–30 long), class 1 iff id 7 occurs; soft targets, a few 5×-weighted human labels. */
function syntheticData(n: number, seed: number): TrainData & { ids: Int32Array[] } {
  const rng = new Rng(seed);
  const ids: Int32Array[] = [];
  const soft = new Float32Array(n * 2);
  const hard = new Int32Array(n).fill(-1);
  const mask = new Uint8Array(n).fill(1);
  const weights = new Float32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const t = Int32Array.from({ length: 1 + rng.int(30) }, () => 2 + rng.int(38));
    const y = t.includes(7) ? 1 : 0;
    ids.push(t);
    soft[i * 2 + y] = 0.8;
    soft[i * 2 + 1 - y] = 0.2;
    if (i % 7 === 0) {
      hard[i] = y;
      weights[i] = 5;
      if (i % 14 === 0) mask[i] = 0; // human label only
    }
  }
  return { ids, softTargets: soft, softMask: mask, hardLabels: hard, weights };
}

/** Weights with non-zero biases (initWeights zeroes them), so every parameter's gradient is exercised. */
function randomWeights(config: StudentConfigInput, seed: number): StudentWeights {
  const w = initWeights(parseStudentConfig(config), VOCAB, 2, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const name of ['lstm0.b', 'dense.bias']) w.params[name].data.forEach((v, i, a) => (a[i] = v + (rng.next() - 0.5) * 0.4));
  return w;
}

const settings = { temperature: 2, alpha: 0.5, loss: 'kl' as const };
// H = 6 and E = 10 exercise the kernels' scalar tails; H = 16, E = 20 their SIMD blocks and remainders.
const configs: StudentConfigInput[] = [
  { arch: 'bilstm', embeddingDim: 10, hiddenSize: 6, layers: 1, dropout: 0.3, maxLen: 40 },
  { arch: 'bilstm', embeddingDim: 20, hiddenSize: 16, layers: 1, dropout: 0.3, maxLen: 40 },
];

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('fused BiLSTM kernels', () => {
  it('sigmoid and tanh match Math within 3e-7 over [-30, 30]', () => {
    const k = lstmKernel();
    const n = 6001; // not a multiple of 4: the scalar tail too
    const xs = Float64Array.from({ length: n }, (_, i) => -30 + (60 * i) / (n - 1));
    const at = 1 << 20;
    if (k.memory.buffer.byteLength < at + 8 * n) k.memory.grow(Math.ceil((at + 8 * n - k.memory.buffer.byteLength) / 65536));
    const sig = new Float32Array(k.memory.buffer, at, n);
    sig.set(xs);
    k.sigmoidInPlace(at, n);
    const th = new Float32Array(k.memory.buffer, at + 4 * n, n);
    th.set(xs);
    k.tanhInPlace(at + 4 * n, n);
    expect(maxDiff(sig, Array.from(xs, (x) => 1 / (1 + Math.exp(-Math.fround(x)))))).toBeLessThan(3e-7);
    expect(maxDiff(th, Array.from(xs, (x) => Math.tanh(Math.fround(x))))).toBeLessThan(3e-7);
  });

  for (const config of configs) {
    const tag = `E${(config as { embeddingDim: number }).embeddingDim} H${(config as { hiddenSize: number }).hiddenSize}`;

    it(`${tag}: logits equal the tfjs forward pass`, async () => {
      await initBackend();
      const data = syntheticData(37, 3);
      const packed = packIds(data.ids);
      const weights = randomWeights(config, 5);
      const rows = Int32Array.from({ length: 37 }, (_, i) => i);
      const batch = makeBatch(packed.offsets, packed.tokens, rows, 40);
      const names = denseParamNames(weights.config as never, VOCAB, 2);
      const reference = tf.tidy(() => {
        const params = paramTensors(weights, names);
        const byName = Object.fromEntries(names.map((n, i) => [n, params[i]]));
        return forwardLogits(weights.config, forwardInputs(weights, batch), byName).dataSync() as Float32Array;
      });
      const fused = fusedBiLstmLogits(weights, batch);
      expect(maxAbs(reference)).toBeGreaterThan(0.05);
      expect(maxDiff(fused, reference)).toBeLessThan(1e-5);
    });

    it(`${tag}: gradients equal tfjs autodiff (dense parameters and embedding rows), with dropout and human labels`, async () => {
      await initBackend();
      const data = syntheticData(29, 4);
      const packed = packIds(data.ids);
      const targets = { ...data, ids: undefined };
      const weights = randomWeights(config, 6);
      const model = weights.config as { embeddingDim: number; hiddenSize: number };
      const rows = Int32Array.from({ length: 29 }, (_, i) => i);
      const batch = makeBatch(packed.offsets, packed.tokens, rows, 40);
      const F = 4 * model.hiddenSize;
      const rng = new Rng(2);
      const dropout = Float32Array.from({ length: rows.length * F }, () => (rng.next() < 0.3 ? 0 : 1 / 0.7));
      const names = denseParamNames(weights.config as never, VOCAB, 2);
      const ref = computeGradients(weights, names, batch, rows, targets, 2, settings, dropout);
      const got = fusedBiLstmGradients(weights, batch, rows, targets, settings, dropout);
      expect(got.loss).toBeCloseTo(ref.loss, 6);
      expect(got.weightSum).toBe(ref.weightSum);
      names.forEach((name, k) => {
        const scale = maxAbs(ref.dense[k]);
        expect(scale, name).toBeGreaterThan(1e-4);
        expect(maxDiff(got.dense[k], ref.dense[k]), name).toBeLessThan(1e-5 * Math.max(1, scale) + 1e-7);
      });
      // Embedding rows: tfjs gives per-position gradients; summed per row they must equal the fused per-token ones.
      const E = model.embeddingDim;
      const a = new SparseRows(VOCAB, E);
      a.accumulate(batch, ref.dX, false, true);
      a.accumulate(batch, ref.dXReversed!, true, true);
      const b = new SparseRows(VOCAB, E);
      b.addRows(got.embeddingRows, got.embeddingGrads);
      const dense = (s: SparseRows) => {
        const t = new Float32Array(VOCAB * E);
        for (let r = 0; r < s.count; r++) t.set(s.grads.subarray(r * E, r * E + E), s.rows[r] * E);
        return t;
      };
      expect(b.count).toBe(a.count);
      expect(maxAbs(dense(a))).toBeGreaterThan(1e-4);
      expect(maxDiff(dense(b), dense(a))).toBeLessThan(1e-6);
    });

    it(`${tag}: a batch of one-token texts (one step, no recurrence) equals tfjs too`, async () => {
      await initBackend();
      const data = syntheticData(9, 5);
      data.ids = data.ids.map((t) => t.subarray(0, 1));
      const packed = packIds(data.ids);
      const targets = { ...data, ids: undefined };
      const weights = randomWeights(config, 7);
      const rows = Int32Array.from({ length: 9 }, (_, i) => i);
      const batch = makeBatch(packed.offsets, packed.tokens, rows, 40);
      expect(batch.len).toBe(1);
      const names = denseParamNames(weights.config as never, VOCAB, 2);
      const ref = computeGradients(weights, names, batch, rows, targets, 2, settings, undefined);
      // The same texts padded to two positions: padding changes nothing either way.
      const padded = { ...batch, len: 2, ids: Int32Array.from({ length: 18 }, (_, j) => (j % 2 ? 0 : batch.ids[j >> 1])) };
      const refPadded = computeGradients(weights, names, padded, rows, targets, 2, settings, undefined);
      names.forEach((name, k) => expect(maxDiff(refPadded.dense[k], ref.dense[k]), name).toBeLessThan(1e-6 * Math.max(1, maxAbs(ref.dense[k]))));
      const got = fusedBiLstmGradients(weights, batch, rows, targets, settings, undefined);
      expect(got.loss).toBeCloseTo(ref.loss, 6);
      names.forEach((name, k) => expect(maxDiff(got.dense[k], ref.dense[k]), name).toBeLessThan(1e-5 * Math.max(1, maxAbs(ref.dense[k])) + 1e-7));
      expect(maxAbs(got.dense[1])).toBe(0); // dR: no step has a previous state
    });

    it(`${tag}: gradients match central finite differences of the loss`, () => {
      const data = syntheticData(13, 8);
      const packed = packIds(data.ids);
      const targets = { ...data, ids: undefined };
      const weights = randomWeights(config, 9);
      const rows = Int32Array.from({ length: 13 }, (_, i) => i);
      const batch = makeBatch(packed.offsets, packed.tokens, rows, 40);
      const run = () => fusedBiLstmGradients(weights, batch, rows, targets, settings, undefined);
      const g = run();
      const numeric = (arr: Float32Array, j: number) => {
        const h = 2e-3;
        const keep = arr[j];
        arr[j] = keep + h;
        const up = run().loss;
        arr[j] = keep - h;
        const down = run().loss;
        arr[j] = keep;
        return (up - down) / (2 * h);
      };
      const names = ['lstm0.W', 'lstm0.R', 'lstm0.b', 'dense.kernel', 'dense.bias'];
      const rng = new Rng(4);
      let largest = 0;
      const close = (analytic: number, num: number) => {
        largest = Math.max(largest, Math.abs(num));
        expect(Math.abs(analytic - num)).toBeLessThanOrEqual(1e-4 + 0.05 * Math.abs(num));
      };
      names.forEach((name, k) => {
        const arr = weights.params[name].data;
        for (let s = 0; s < 4; s++) {
          const j = rng.int(arr.length);
          close(g.dense[k][j], numeric(arr, j));
        }
      });
      const E = (weights.config as { embeddingDim: number }).embeddingDim;
      for (const r of [0, 3]) {
        const id = g.embeddingRows[r];
        for (const e of [0, E - 1]) close(g.embeddingGrads[r * E + e], numeric(weights.params.embedding.data, id * E + e));
      }
      expect(largest).toBeGreaterThan(5e-3);
    });
  }

  it('shares of a batch: interleaved rows and their dropout rows, normalised by the whole batch, add up to the batch', () => {
    const rows = Int32Array.from([5, 9, 2, 7, 11]);
    expect(Array.from(shareRows(rows, 0, 2))).toEqual([5, 2, 11]);
    expect(Array.from(shareRows(rows, 1, 2))).toEqual([9, 7]);
    const mask = Float32Array.from({ length: 5 * 3 }, (_, i) => i);
    expect(Array.from(shareDropout(mask, 3, 5, 1, 2)!)).toEqual([3, 4, 5, 9, 10, 11]);

    const data = syntheticData(21, 12);
    const packed = packIds(data.ids);
    const targets = { ...data, ids: undefined };
    const weights = randomWeights(configs[1], 13);
    const all = Int32Array.from({ length: 21 }, (_, i) => i);
    const whole = fusedBiLstmGradients(weights, makeBatch(packed.offsets, packed.tokens, all, 40), all, targets, settings, undefined);
    let norm = 0;
    for (const r of all) norm += data.weights[r];
    const parts = [0, 1].map((s) => {
      const r = shareRows(all, s, 2);
      return fusedBiLstmGradients(weights, makeBatch(packed.offsets, packed.tokens, r, 40), r, targets, settings, undefined, norm);
    });
    expect(parts[0].loss + parts[1].loss).toBeCloseTo(whole.loss, 6);
    whole.dense.forEach((g, k) => {
      const sum = parts[0].dense[k].map((v, j) => v + parts[1].dense[k][j]);
      expect(maxDiff(sum, g)).toBeLessThan(1e-6 * Math.max(1, maxAbs(g)));
    });
  });
});

describe('trainStudent, fused BiLSTM', () => {
  const model = { arch: 'bilstm' as const, embeddingDim: 12, hiddenSize: 8, layers: 1, dropout: 0.3, maxLen: 40 };
  const data = syntheticData(400, 1);

  for (const threads of [1, 2]) {
    it(`${threads} thread(s): reproducible, learns, and a run killed mid-epoch and resumed ends with the same model`, async () => {
      const base = { model, train: { epochs: 3, batchSize: 32, seed: 9, threads }, numClasses: 2, vocabSize: VOCAB, data };
      const full = await trainStudent(base);
      const again = await trainStudent(base);
      for (const k of Object.keys(full.weights.params)) expect(Buffer.from(again.weights.params[k].data.buffer).equals(Buffer.from(full.weights.params[k].data.buffer))).toBe(true);
      expect(full.history[2].loss).toBeLessThan(full.history[0].loss);

      const saved = await killedCheckpoint(base, (p) => p.epoch === 1 && p.step === 4);
      const cp = decodeCheckpoint(saved);
      expect(cp.epoch).toBe(1);
      expect(cp.train.threads).toBe(threads);
      // A resume that names no thread count keeps the checkpoint's.
      const resumed = await trainStudent({ ...base, train: { ...base.train, threads: undefined }, resumeFrom: saved });
      for (const k of Object.keys(full.weights.params)) expect(Buffer.from(resumed.weights.params[k].data.buffer).equals(Buffer.from(full.weights.params[k].data.buffer))).toBe(true);
      expect(resumed.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
    }, 120_000);
  }

  it('two threads train the same model as one up to float rounding', async () => {
    const base = { model, train: { epochs: 2, batchSize: 32, seed: 3 }, numClasses: 2, vocabSize: VOCAB, data };
    const one = await trainStudent({ ...base, train: { ...base.train, threads: 1 } });
    const two = await trainStudent({ ...base, train: { ...base.train, threads: 2 } });
    for (const k of Object.keys(one.weights.params)) {
      const a = one.weights.params[k].data;
      expect(maxDiff(two.weights.params[k].data, a), k).toBeLessThan(1e-3 * Math.max(1, maxAbs(a)));
    }
    expect(two.history[1].loss).toBeCloseTo(one.history[1].loss, 3);
  }, 120_000);
});
