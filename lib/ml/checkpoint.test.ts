import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type TrainCheckpoint } from './checkpoint.ts';
import { OnnxStudent } from './inference.ts';
import { predictProbs } from './model.ts';
import { exportOnnx } from './onnx.ts';
import { Rng } from './rng.ts';
import { TfjsStudent } from './student.ts';
import { Vocab } from './tokenizer.ts';
import { trainStudent, type TrainStudentOptions } from './train.ts';

/** Texts of a toy task: class 1 iff the text mentions 滚. */
const rng = new Rng(5);
const chars = '你好这是一条普通的评论地域黑出去天气不错今天我们吃饭了滚'.split('');
const texts = Array.from({ length: 120 }, () => Array.from({ length: 2 + rng.int(12) }, () => chars[rng.int(chars.length)]).join(''));
const labels = Int32Array.from(texts, (t) => (t.includes('滚') ? 1 : 0));
const vocab = Vocab.build(texts, { minFreq: 1 });
const probe = ['你好', '滚出去', '今天天气不错', '', 'ok'];

function options(v = vocab): TrainStudentOptions {
  const n = texts.length;
  return {
    model: { arch: 'textcnn', embeddingDim: 12, filters: 8, kernelSizes: [1, 2], maxLen: 16 },
    train: { epochs: 2, batchSize: 16, seed: 4 },
    numClasses: 2,
    vocabSize: v.size,
    vocab: v.toJSON(),
    data: { ids: v.encodeAll(texts, 16), softTargets: new Float32Array(n * 2), softMask: new Uint8Array(n), hardLabels: labels, weights: new Float32Array(n).fill(1) },
  };
}

describe('training checkpoint', () => {
  it('carries its vocabulary: the model is rebuilt from the checkpoint bytes alone and scores texts like its ONNX export', async () => {
    let saved: Uint8Array | null = null;
    const result = await trainStudent({ ...options(), onEpochEnd: (cp) => void (saved = encodeCheckpoint(cp)) });
    const cp = decodeCheckpoint(saved!);
    expect(cp.epoch).toBe(2);
    expect(cp.vocab).toEqual(vocab.toJSON());

    const rebuilt = TfjsStudent.fromCheckpoint(saved!);
    const p = await rebuilt.predict(probe);
    expect(p.numClasses).toBe(2);
    expect(p.modelVersion).toMatch(/^tfjs-sha256:[0-9a-f]{16}$/);
    expect(Array.from(p.probs)).toEqual(Array.from(predictProbs(result.weights, vocab.encodeAll(probe, 16))));

    const onnx = await OnnxStudent.load(exportOnnx(result.weights, { vocab: vocab.toJSON() }));
    const deployed = (await onnx.predict(probe)).probs;
    for (let i = 0; i < deployed.length; i++) expect(p.probs[i]).toBeCloseTo(deployed[i], 5);
    await onnx.release();
    expect(TfjsStudent.fromCheckpoint(cp, { modelVersion: 'p1.r3' }).modelVersion).toBe('p1.r3');
  }, 60_000);

  it('a resumed run keeps the vocabulary and refuses another one', async () => {
    let first: TrainCheckpoint | null = null;
    await trainStudent({ ...options(), train: { epochs: 1, batchSize: 16, seed: 4 }, onEpochEnd: (cp) => void (first = cp) });
    let last: TrainCheckpoint | null = null;
    const { vocab: _dropped, ...withoutVocab } = options();
    await trainStudent({ ...withoutVocab, resumeFrom: encodeCheckpoint(first!), onEpochEnd: (cp) => void (last = cp) });
    expect(last!.epoch).toBe(2);
    expect(last!.vocab).toEqual(vocab.toJSON());

    const reordered = Vocab.fromJSON({ ...vocab.toJSON(), tokens: [...vocab.tokens.slice(0, 2), ...vocab.tokens.slice(2).reverse()] });
    await expect(trainStudent({ ...options(), vocab: reordered.toJSON(), resumeFrom: first! })).rejects.toThrow(/another vocabulary/);
  }, 60_000);

  it('a vocabulary must match vocabSize, and a checkpoint without one cannot score texts', async () => {
    await expect(trainStudent({ ...options(), vocabSize: vocab.size + 1 })).rejects.toThrow(/vocabSize/);
    let bare: TrainCheckpoint | null = null;
    const { vocab: _dropped, ...withoutVocab } = options();
    await trainStudent({ ...withoutVocab, train: { epochs: 1, seed: 1 }, onEpochEnd: (cp) => void (bare = cp) });
    expect(bare!.vocab).toBeUndefined();
    expect(() => TfjsStudent.fromCheckpoint(encodeCheckpoint(bare!))).toThrow(/no vocabulary/);
  }, 60_000);
});
