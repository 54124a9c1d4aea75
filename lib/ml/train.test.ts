import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { parseStudentConfig, type StudentConfigInput } from './config.ts';
import { initWeights, makeBatch, type StudentWeights } from './model.ts';
import { Rng } from './rng.ts';
import { packIds } from './tokenizer.ts';
import { computeGradients, decodeCheckpoint, epochBatches, trainStudent, type TrainCheckpoint, type TrainData } from './train.ts';
import { killedCheckpoint } from './test-support.ts';

/**
 * Synthetic task: texts of ids 2..29, class 1 iff token 7 occurs. Soft targets from a fixed rule
 * (0.85 on the true class), a few human labels with weight 5.
 */
function syntheticData(n: number, seed: number): TrainData {
  const rng = new Rng(seed);
  const ids: Int32Array[] = [];
  const soft = new Float32Array(n * 2);
  const hard = new Int32Array(n).fill(-1);
  const mask = new Uint8Array(n).fill(1);
  const weights = new Float32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(25);
    const t = Int32Array.from({ length: len }, () => 2 + rng.int(28));
    const y = t.includes(7) ? 1 : 0;
    ids.push(t);
    soft[i * 2 + y] = 0.85;
    soft[i * 2 + 1 - y] = 0.15;
    if (i % 10 === 0) {
      hard[i] = y;
      mask[i] = 0;
      weights[i] = 5;
    }
  }
  return { ids, softTargets: soft, softMask: mask, hardLabels: hard, weights };
}

const VOCAB = 40; // ids 30..39 never occur: their embedding rows must never move
const small: Record<string, StudentConfigInput> = {
  textcnn: { arch: 'textcnn', embeddingDim: 12, kernelSizes: [1, 3], filters: 8, dropout: 0.5, maxLen: 20 },
  bilstm: { arch: 'bilstm', embeddingDim: 10, hiddenSize: 6, layers: 2, dropout: 0.3, maxLen: 20 },
};

function sameWeights(a: StudentWeights, b: StudentWeights) {
  expect(Object.keys(a.params)).toEqual(Object.keys(b.params));
  for (const k of Object.keys(a.params)) expect(Buffer.from(a.params[k].data.buffer).equals(Buffer.from(b.params[k].data.buffer))).toBe(true);
}

describe('trainStudent', () => {
  for (const arch of ['textcnn', 'bilstm'] as const) {
    it(`${arch}: a run killed mid-epoch and resumed from its last checkpoint ends with the same model`, async () => {
      const data = syntheticData(300, 1);
      const base = { model: small[arch], train: { epochs: 3, batchSize: 32, seed: 9 }, numClasses: 2, vocabSize: VOCAB, data };
      const full = await trainStudent(base);

      // The "killed" run: aborted during the second epoch, after the first epoch's checkpoint was saved.
      const saved = await killedCheckpoint(base, (p) => p.epoch === 1 && p.step === 3);
      const cp = decodeCheckpoint(saved);
      expect(cp.epoch).toBe(1);
      const resumed = await trainStudent({ ...base, resumeFrom: saved });
      sameWeights(resumed.weights, full.weights);
      expect(resumed.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
      // The task is learnt: the loss falls.
      expect(full.history[2].loss).toBeLessThan(full.history[0].loss);
    }, 120_000);
  }

  it('refuses to resume on other data or another config', async () => {
    const data = syntheticData(100, 2);
    let cp: TrainCheckpoint | null = null;
    const base = { model: small.textcnn, train: { epochs: 1, seed: 1 }, numClasses: 2, vocabSize: VOCAB, data };
    await trainStudent({ ...base, onEpochEnd: (c) => void (cp = c) });
    const other = syntheticData(100, 3);
    await expect(trainStudent({ ...base, data: other, train: { epochs: 2, seed: 1 }, resumeFrom: cp! })).rejects.toThrow(/other data/);
    await expect(trainStudent({ ...base, train: { epochs: 2, seed: 2 }, resumeFrom: cp! })).rejects.toThrow(/training config/);
  });

  it('warm start begins from the given weights; shouldStop ends training before an epoch', async () => {
    const data = syntheticData(200, 5);
    const base = { model: small.textcnn, train: { epochs: 3, batchSize: 32, seed: 4 }, numClasses: 2, vocabSize: VOCAB, data };
    const first = await trainStudent({ ...base, train: { ...base.train, epochs: 2 } });
    // Fine-tuning the trained weights starts where they left off: its first epoch's loss is below a fresh start's.
    const fresh = await trainStudent({ ...base, train: { ...base.train, epochs: 1 } });
    const warm = await trainStudent({ ...base, train: { ...base.train, epochs: 1 }, initFrom: first.weights });
    expect(warm.history[0].loss).toBeLessThan(fresh.history[0].loss);
    const wrong = initWeights(parseStudentConfig({ ...small.textcnn, filters: 5 }), VOCAB, 2, new Rng(1));
    await expect(trainStudent({ ...base, initFrom: wrong })).rejects.toThrow(/another shape/);
    let asked = 0;
    const stopped = await trainStudent({ ...base, shouldStop: () => ++asked > 1 });
    expect(stopped.history).toHaveLength(1);
  }, 120_000);

  it('lazy Adam leaves unused embedding rows and the PAD row untouched; progress is reported', async () => {
    const data = syntheticData(200, 4);
    const model = parseStudentConfig(small.textcnn);
    const init = initWeights(model, VOCAB, 2, new Rng(3));
    const reports: number[] = [];
    const res = await trainStudent({ model, train: { epochs: 1, seed: 3 }, numClasses: 2, vocabSize: VOCAB, data, progressIntervalMs: 0, onProgress: (p) => reports.push(p.examplesPerSecond) });
    const E = model.embeddingDim;
    const before = init.params.embedding.data;
    const after = res.weights.params.embedding.data;
    expect(Array.from(after.subarray(0, E))).toEqual(new Array(E).fill(0));
    expect(Array.from(after.subarray(30 * E))).toEqual(Array.from(before.subarray(30 * E)));
    expect(Array.from(after.subarray(7 * E, 8 * E))).not.toEqual(Array.from(before.subarray(7 * E, 8 * E)));
    expect(reports.length).toBeGreaterThan(2);
    expect(Math.min(...reports)).toBeGreaterThan(0);
  });
});

describe('epochBatches', () => {
  it('covers every example once and groups similar lengths', () => {
    const rng = new Rng(1);
    const lengths = Array.from({ length: 5000 }, () => 1 + rng.int(100));
    const { offsets } = packIds(lengths.map((l) => new Int32Array(l)));
    const batches = epochBatches(offsets, 64, 32, new Rng(2));
    const seen = new Int32Array(5000);
    let spread = 0;
    for (const b of batches) {
      for (const i of b) seen[i]++;
      const ls = Array.from(b, (i) => Math.min(lengths[i], 64));
      spread += Math.max(...ls) - Math.min(...ls);
    }
    expect(Array.from(seen).every((c) => c === 1)).toBe(true);
    // Random batches would spread over most of 1..64; bucketed ones over a few positions.
    expect(spread / batches.length).toBeLessThan(5);
    // Same generator state, same batches.
    expect(epochBatches(offsets, 64, 32, new Rng(2)).map((b) => Array.from(b))).toEqual(batches.map((b) => Array.from(b)));
  });
});

describe('computeGradients', () => {
  for (const arch of ['textcnn', 'bilstm'] as const) {
    it(`${arch}: gradients match finite differences of the loss (dense parameters and embedding rows)`, async () => {
      await initBackend();
      const data = syntheticData(12, 5);
      const packed = packIds(data.ids as Int32Array[]);
      const model = parseStudentConfig({ ...small[arch], dropout: 0 });
      const weights = initWeights(model, VOCAB, 2, new Rng(8));
      const names = Object.keys(weights.params).filter((n) => n !== 'embedding');
      const rows = Int32Array.from({ length: 12 }, (_, i) => i);
      const batch = makeBatch(packed.offsets, packed.tokens, rows, model.maxLen);
      const settings = { temperature: 2, alpha: 0.5, loss: 'kl' as const };
      const run = () => computeGradients(weights, names, batch, rows, data, 2, settings, undefined);
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
      // Central differences in float32 with h = 0.002 (small, so that max-pooling rarely switches position): good to ~1e-4 absolute plus a few % of curvature error.
      let largest = 0;
      const close = (analytic: number, num: number) => {
        largest = Math.max(largest, Math.abs(num));
        expect(Math.abs(analytic - num)).toBeLessThanOrEqual(1e-4 + 0.05 * Math.abs(num));
      };
      const rng = new Rng(4);
      for (let k = 0; k < names.length; k++) {
        const arr = weights.params[names[k]].data;
        for (let s = 0; s < 3; s++) {
          const j = rng.int(arr.length);
          close(g.dense[k][j], numeric(arr, j));
        }
      }
      // Embedding: the analytic gradient of row `id` is the sum of dX over its positions (both directions for the BiLSTM).
      const E = model.embeddingDim;
      const L = batch.len;
      const at = (i: number, t: number) => (arch === 'bilstm' ? t * batch.size + i : i * L + t); // BiLSTM inputs are time-major
      for (const id of [7, 12, 20]) {
        for (const e of [0, E - 1]) {
          let analytic = 0;
          for (let i = 0; i < batch.size; i++) {
            const n = batch.lengths[i];
            for (let t = 0; t < n; t++) {
              if (batch.ids[i * L + t] === id) analytic += g.dX[at(i, t) * E + e];
              if (g.dXReversed && batch.ids[i * L + (n - 1 - t)] === id) analytic += g.dXReversed[at(i, t) * E + e];
            }
          }
          close(analytic, numeric(weights.params.embedding.data, id * E + e));
        }
      }
      expect(largest).toBeGreaterThan(5e-3); // the check compared real gradients, not zeros
    });
  }
});
