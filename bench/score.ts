/**
 * Scoring throughput of an exported student on onnxruntime-node: all COLD train texts
 * (25.7k), from raw text (tokenisation included) in batches of 256, as the worker rescoring the
 * pool does. `npm run bench -- score` calls benchScore().
 *
 * The model is the default TextCNN with freshly initialised weights: speed does not depend on
 * the weight values, and the bench needs no training run. It also reports the largest
 * difference between onnxruntime's and tfjs's probabilities on the same texts.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../lib/ml/backend.ts';
import { DEFAULT_TEXTCNN, parseStudentConfig, type StudentConfigInput } from '../lib/ml/config.ts';
import { loadCold } from '../lib/ml/datasets.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { initWeights, predictProbs } from '../lib/ml/model.ts';
import { exportOnnx } from '../lib/ml/onnx.ts';
import { Rng } from '../lib/ml/rng.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';

export async function benchScore(options: { model?: StudentConfigInput; batchSize?: number; repeats?: number } = {}): Promise<Record<string, unknown>> {
  await initBackend();
  const model = parseStudentConfig(options.model ?? (process.env.BENCH_SCORE_MODEL ? JSON.parse(process.env.BENCH_SCORE_MODEL) : DEFAULT_TEXTCNN));
  const batchSize = options.batchSize ?? 256;
  const repeats = options.repeats ?? 3;
  const texts = loadCold('train').texts;
  const vocab = Vocab.build(texts, { minFreq: 2 });
  const weights = initWeights(model, vocab.size, 2, new Rng(1));
  const bytes = exportOnnx(weights, { vocab: vocab.toJSON() });
  const load = loadavg()[0];
  const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

  const perThreads: Record<string, number> = {};
  let best = 0;
  let bestIdsOnly = 0;
  let probs: Float32Array | null = null;
  let student: OnnxStudent | null = null;
  for (const threads of [1, 2]) {
    const s = await OnnxStudent.load(bytes, { intraOpThreads: threads });
    await s.predict(texts.slice(0, 2000), { batchSize }); // warm-up
    let rate = 0;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      probs = (await s.predict(texts, { batchSize })).probs;
      rate = Math.max(rate, texts.length / ((performance.now() - t0) / 1000));
    }
    const ids = s.encode(texts);
    let idsRate = 0;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await s.predict(ids, { batchSize });
      idsRate = Math.max(idsRate, texts.length / ((performance.now() - t0) / 1000));
    }
    perThreads[`threads_${threads}_items_per_s`] = round(rate);
    perThreads[`threads_${threads}_ids_only_items_per_s`] = round(idsRate);
    best = Math.max(best, rate);
    bestIdsOnly = Math.max(bestIdsOnly, idsRate);
    if (threads === 1) student = s;
    else await s.release();
  }

  // Single-item latency (the predict API's p50), one thread.
  const latencies: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await student!.predict([texts[i]]);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  await student!.release();

  // onnxruntime vs tfjs on the first 2000 texts.
  const sample = vocab.encodeAll(texts.slice(0, 2000), model.maxLen);
  const reference = predictProbs(weights, sample);
  let maxDiff = 0;
  for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[i] - probs![i]));

  return {
    score_items_per_s: round(best),
    score_ids_only_items_per_s: round(bestIdsOnly),
    ...perThreads,
    single_item_p50_ms: round(latencies[250], 3),
    single_item_p95_ms: round(latencies[475], 3),
    items: texts.length,
    batch_size: batchSize,
    onnx_vs_tfjs_max_abs_diff: maxDiff,
    model,
    load_average_at_start: round(load, 2),
  };
}
