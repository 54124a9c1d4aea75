import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXTCNN } from './config.ts';
import { OnnxStudent } from './inference.ts';
import { initWeights } from './model.ts';
import { exportOnnx } from './onnx.ts';
import { Rng } from './rng.ts';
import { Vocab } from './tokenizer.ts';

const texts = Array.from({ length: 3000 }, (_, i) => `第${i}条评论 ${'地域黑滚出去你好世界'.slice(0, 1 + (i % 9))} text${i % 97} 😂`);
const vocab = Vocab.build(texts, { minFreq: 1 });
const bytes = exportOnnx(initWeights(DEFAULT_TEXTCNN, vocab.size, 2, new Rng(3)), { vocab: vocab.toJSON() });

describe('OnnxStudent on a worker thread (thread: true)', () => {
  it('gives the same probabilities, in input order, as the session on this thread', async () => {
    const [here, there] = [await OnnxStudent.load(bytes), await OnnxStudent.load(bytes, { thread: true })];
    try {
      const some = [...texts.slice(0, 300), '', 'x'];
      const [a, b] = [await here.predict(some, { batchSize: 64 }), await there.predict(some, { batchSize: 64 })];
      expect(b.modelVersion).toBe(a.modelVersion);
      expect(b.probs.length).toBe(some.length * 2);
      expect(Array.from(b.probs)).toEqual(Array.from(a.probs));
    } finally {
      await here.release();
      await there.release();
    }
  });

  it('keeps this event loop running while a batch scores (run() is synchronous on its thread)', async () => {
    const student = await OnnxStudent.load(bytes, { thread: true, intraOpThreads: 1 });
    try {
      await student.predict(texts.slice(0, 10));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const t0 = performance.now();
      // One run() of 3,000 items: tens of milliseconds during which timers must still fire.
      await student.predict(texts, { batchSize: texts.length });
      const ms = performance.now() - t0;
      clearInterval(timer);
      expect(ms).toBeGreaterThan(10);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      await student.release();
    }
  });

  it('rejects a failed run and keeps serving', async () => {
    const student = await OnnxStudent.load(bytes, { thread: true });
    try {
      await expect(student.predict([new Int32Array([vocab.size + 1000])])).rejects.toThrow();
      expect((await student.predict(['你好'])).probs.length).toBe(2);
    } finally {
      await student.release();
    }
  });

  it('rejects a call whose middle run fails while its other runs are in flight, and keeps serving', async () => {
    const student = await OnnxStudent.load(bytes, { thread: true });
    try {
      // Runs of 2 in length order: the out-of-vocabulary id (length 3) is in a run of its own among the others, all posted at once.
      const ids = [...Array.from({ length: 6 }, (_, i) => new Int32Array([2 + i])), new Int32Array([2, 3, vocab.size + 1000]), ...Array.from({ length: 6 }, (_, i) => new Int32Array([2, 3, 4, 5 + i]))];
      await expect(student.predict(ids, { batchSize: 2 })).rejects.toThrow();
      // The call settles only after all its runs have: nothing of it is left on the thread (the
      // serving concurrency limit frees its slot on this promise).
      expect((student as unknown as { session: { inFlight: number } }).session.inFlight).toBe(0);
      const ok = await student.predict(texts.slice(0, 50), { batchSize: 8 });
      expect(ok.probs.length).toBe(100);
      expect(Array.from(ok.probs).every((p) => p > 0 && p < 1)).toBe(true);
    } finally {
      await student.release();
    }
  });
});
