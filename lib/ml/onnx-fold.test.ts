/**
 * The folded TextCNN export (lib/ml/onnx.ts, foldedTextCnnLogits): the first convolution as
 * lookup tables gives the same probabilities as the tfjs model and as the unfolded ONNX graph.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { parseStudentConfig, type TextCnnConfig } from './config.ts';
import { OnnxStudent } from './inference.ts';
import { initWeights, predictProbs, type StudentWeights } from './model.ts';
import { exportOnnx, FOLD_MAX_TABLE_BYTES, foldedTableBytes } from './onnx.ts';
import { Rng } from './rng.ts';
import { packIds } from './tokenizer.ts';

const V = 60;
const C = 3;

/** A small random TextCNN (widest kernel 5) with non-zero biases of both signs, so that bias and ReLU after the max are exercised. */
function randomModel(seed: number, kernelSizes = [1, 3, 5]): StudentWeights {
  const config = parseStudentConfig({ arch: 'textcnn', embeddingDim: 12, filters: 7, kernelSizes, maxLen: 40 });
  const w = initWeights(config, V, C, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const [name, t] of Object.entries(w.params)) if (name.endsWith('.bias')) for (let i = 0; i < t.data.length; i++) t.data[i] = (rng.next() - 0.5) * 0.6;
  return w;
}

/** Texts of 0 (empty: OOV, as everywhere), 1…4 (shorter than the widest kernel), and up to 40 ids, plus one longer than maxLen. */
function randomIds(seed: number): Int32Array[] {
  const rng = new Rng(seed);
  const lengths = [0, 1, 2, 3, 4, 5, 6, 9, 17, 40, 55, ...Array.from({ length: 30 }, () => Math.floor(rng.next() * 30))];
  return lengths.map((n) => Int32Array.from({ length: n }, () => 1 + Math.floor(rng.next() * (V - 1))));
}

function ops(bytes: Uint8Array): string[] {
  return (onnxProto.onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType ?? '');
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('folded TextCNN export', () => {
  for (const kernelSizes of [[1, 3, 5], [2], [1, 2, 3]]) {
    it(`kernels ${kernelSizes.join('/')}: same probabilities as tfjs and as the unfolded graph, alone or in padded batches`, async () => {
      await initBackend();
      const w = randomModel(kernelSizes.length, kernelSizes);
      const items = randomIds(kernelSizes[0]);
      const packed = packIds(items);
      const reference = predictProbs(w, packed);

      const foldedBytes = exportOnnx(w, { fold: true });
      const unfoldedBytes = exportOnnx(w, { fold: false });
      expect(ops(foldedBytes)).not.toContain('Conv');
      expect(ops(foldedBytes)).toContain('Gather');
      expect(ops(unfoldedBytes)).toContain('Conv');

      const folded = await OnnxStudent.load(foldedBytes);
      const unfolded = await OnnxStudent.load(unfoldedBytes);
      for (const batchSize of [1, 7, 256]) {
        const f = (await folded.predict(packed, { batchSize })).probs;
        expect(maxAbsDiff(f, reference)).toBeLessThan(1e-4);
        expect(maxAbsDiff(f, (await unfolded.predict(packed, { batchSize })).probs)).toBeLessThan(1e-4);
      }
      // Not a degenerate model: the probabilities vary across items.
      const p0 = (await folded.predict(packed)).probs.filter((_, i) => i % C === 0);
      expect(Math.max(...p0) - Math.min(...p0)).toBeGreaterThan(0.05);
      await folded.release();
      await unfolded.release();
    });
  }

  it('raw graphs: a padded batch with an all-padding row and rows shorter than the widest kernel give the same outputs folded and unfolded', async () => {
    const w = randomModel(7);
    const rows = [[], [5], [5, 9], [3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13, 14]];
    const L = 8;
    const ids = new BigInt64Array(rows.length * L);
    rows.forEach((r, i) => r.forEach((id, t) => (ids[i * L + t] = BigInt(id))));
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = (await s.run({ input_ids: new ort.Tensor('int64', ids, [rows.length, L]) })).probs.data as Float32Array;
      await s.release();
      return out;
    };
    const folded = await run(exportOnnx(w, { fold: true }));
    const unfolded = await run(exportOnnx(w, { fold: false }));
    expect(maxAbsDiff(folded, unfolded)).toBeLessThan(1e-5);
    // The all-padding row has zero features in both: softmax of the dense bias.
    const b = w.params['dense.bias'].data;
    const z = Array.from(b, (x) => Math.exp(x - Math.max(...b)));
    const sum = z.reduce((a, x) => a + x, 0);
    for (let c = 0; c < C; c++) expect(folded[c]).toBeCloseTo(z[c] / sum, 6);
  });

  it('folds by default while the tables fit the bound, and keeps the unfolded graph past it', () => {
    const small = randomModel(3);
    expect(ops(exportOnnx(small))).not.toContain('Conv');
    // 50k tokens × (1+2+3) × 64 filters × 4 bytes = 73 MiB of tables: over the bound, exported unfolded.
    const config = parseStudentConfig({ arch: 'textcnn', embeddingDim: 8, filters: 64, kernelSizes: [1, 2, 3] }) as TextCnnConfig;
    expect(foldedTableBytes(config, 50_000)).toBeGreaterThan(FOLD_MAX_TABLE_BYTES);
    const big = initWeights(config, 50_000, 2, new Rng(1));
    expect(ops(exportOnnx(big))).toContain('Conv');
    expect(foldedTableBytes(config, 40_000)).toBeLessThanOrEqual(FOLD_MAX_TABLE_BYTES);
  });
});
