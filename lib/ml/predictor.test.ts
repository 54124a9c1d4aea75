import { describe, expect, it } from 'vitest';
import { ReferenceTeacher } from '../teachers/reference.ts';
import { initBackend } from './backend.ts';
import { parseStudentConfig } from './config.ts';
import { OnnxStudent } from './inference.ts';
import { initWeights, predictProbs } from './model.ts';
import { exportOnnx } from './onnx.ts';
import { parseTeacherModelVersion, studentModelVersion, teacherModelVersion, type Predictor } from './predictor.ts';
import { Rng } from './rng.ts';
import { Vocab } from './tokenizer.ts';

const texts = ['这是一条普通的评论', '地域黑滚出去', 'ok 好的', '', '😀'];
const vocab = Vocab.build(['这是一条普通的评论', '地域黑滚出去', 'ok 好的 好的'], { minFreq: 1 });
const config = parseStudentConfig({ arch: 'textcnn', embeddingDim: 16, filters: 8, kernelSizes: [1, 2], maxLen: 32 });
/** Real exported students (random weights: the contract does not depend on training). */
const weights = (seed: number) => initWeights(config, vocab.size, 3, new Rng(seed));

describe('Predictor contract', () => {
  it('an ONNX student answers n×C probabilities in input order with the version it was exported with', async () => {
    await initBackend();
    const w = weights(1);
    const model: Predictor = await OnnxStudent.load(exportOnnx(w, { vocab: vocab.toJSON(), modelVersion: studentModelVersion(4, 2) }));
    const p = await model.predict(texts);
    expect(p.modelVersion).toBe('p4.r2');
    expect(model.modelVersion).toBe('p4.r2');
    expect(p.numClasses).toBe(3);
    expect(p.probs).toHaveLength(texts.length * 3);
    const reference = predictProbs(w, vocab.encodeAll(texts, config.maxLen));
    for (let i = 0; i < reference.length; i++) expect(p.probs[i]).toBeCloseTo(reference[i], 5);
    expect(await model.predict([])).toEqual({ probs: new Float32Array(0), numClasses: 3, modelVersion: 'p4.r2' });
    await model.release();
  });

  it('a model without a version is known by its round metadata, else by its content', async () => {
    const fromRound = await OnnxStudent.load(exportOnnx(weights(1), { vocab: vocab.toJSON(), metadata: { 'distillery.phase': '7', 'distillery.round': '0' } }));
    expect(fromRound.modelVersion).toBe('p7.r0');
    const a = await OnnxStudent.load(exportOnnx(weights(1), { vocab: vocab.toJSON() }));
    const again = await OnnxStudent.load(exportOnnx(weights(1), { vocab: vocab.toJSON() }));
    const other = await OnnxStudent.load(exportOnnx(weights(2), { vocab: vocab.toJSON() }));
    expect(a.modelVersion).toMatch(/^onnx-sha256:[0-9a-f]{16}$/);
    expect(again.modelVersion).toBe(a.modelVersion);
    expect(other.modelVersion).not.toBe(a.modelVersion);
    const named = await OnnxStudent.load(exportOnnx(weights(1), { vocab: vocab.toJSON(), modelVersion: 'x' }), { modelVersion: 'deployed-3' });
    expect((await named.predict(['好'])).modelVersion).toBe('deployed-3');
    await Promise.all([fromRound, a, again, other, named].map((m) => m.release()));
  });

  it('the reference teacher is the mean of its members and says <name>@<version>', async () => {
    const members = [weights(1), weights(2)].map((w) => exportOnnx(w, { vocab: vocab.toJSON() }));
    const teacher: Predictor = await ReferenceTeacher.load({ spec: { name: 'ref', version: '2', members: [] }, members });
    const p = await teacher.predict(texts);
    expect(p.modelVersion).toBe('ref@2');
    expect(p.numClasses).toBe(3);
    const singles: Float32Array[] = [];
    for (const bytes of members) {
      const member = await OnnxStudent.load(bytes);
      singles.push((await member.predict(texts)).probs);
      await member.release();
    }
    for (let i = 0; i < p.probs.length; i++) expect(p.probs[i]).toBeCloseTo((singles[0][i] + singles[1][i]) / 2, 6);
    await teacher.release();
  });

  it('teacher versions round-trip, and a bare name has no version', () => {
    expect(parseTeacherModelVersion(teacherModelVersion('bert-base', '2024-01'))).toEqual({ name: 'bert-base', version: '2024-01' });
    expect(parseTeacherModelVersion(teacherModelVersion('a@b', 'v1'))).toEqual({ name: 'a@b', version: 'v1' });
    expect(parseTeacherModelVersion(teacherModelVersion('a@b'))).toEqual({ name: 'a@b', version: '' });
    expect(teacherModelVersion('gpt')).toBe('gpt');
    expect(parseTeacherModelVersion('gpt')).toEqual({ name: 'gpt', version: '' });
  });
});
