/**
 * Scoring throughput of an exported student on onnxruntime-node: all COLD train texts
 * (25.7k), from raw text (tokenisation included) in batches of 256, as the worker rescoring the
 * pool does; then one pass over 1M of them (`rescore_seconds`, the 1M-item rescoring). `npm run bench -- score` calls benchScore().
 *
 * A TextCNN is exported folded into lookup tables (the default, lib/ml/onnx.ts); `fold` compares
 * it with the unfolded export on the COLD test texts (1 thread, batches of 256): items/s, table
 * memory, FLOPs per item at 40 tokens (COLD's median text) and the share of this CPU's fp32 peak
 * (PEAK_GFLOPS_PER_CORE: 2 FMA units × 8 floats × ≈ 3 GHz) that the arithmetic reaches.
 *
 * The model is the default TextCNN with freshly initialised weights: speed does not depend on
 * the weight values, and the bench needs no training run. It also reports the largest
 * difference between onnxruntime's and tfjs's probabilities on the same texts.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../lib/ml/backend.ts';
import { DEFAULT_TEXTCNN, parseStudentConfig, type StudentConfigInput, type TextCnnConfig } from '../lib/ml/config.ts';
import { loadCold } from '../lib/ml/datasets.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { initWeights, predictProbs, type StudentWeights } from '../lib/ml/model.ts';
import { exportOnnx, foldedTableBytes } from '../lib/ml/onnx.ts';
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

  // Pool rescoring at scale (issue 11: 1M items in ≤ 10 s): COLD train texts cycled up to
  // BENCH_RESCORE_ITEMS (default 1,000,000), from raw text, one pass on 2 threads, batches of 256.
  // Inference only: the round's writing of the scores to the database is not in it.
  const rescoreItems = Math.max(0, Number(process.env.BENCH_RESCORE_ITEMS ?? 1_000_000));
  let rescoreSeconds: number | null = null;
  if (rescoreItems) {
    const pool = Array.from({ length: rescoreItems }, (_, i) => texts[i % texts.length]);
    const s = await OnnxStudent.load(bytes, { intraOpThreads: 2 });
    await s.predict(texts.slice(0, 2000), { batchSize });
    const t0 = performance.now();
    await s.predict(pool, { batchSize });
    rescoreSeconds = (performance.now() - t0) / 1000;
    await s.release();
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

  const fold = model.arch === 'textcnn' ? await foldComparison(weights, vocab, batchSize, repeats) : null;

  return {
    score_items_per_s: round(best),
    score_ids_only_items_per_s: round(bestIdsOnly),
    ...perThreads,
    ...(rescoreSeconds != null ? { rescore_items: rescoreItems, rescore_seconds: round(rescoreSeconds, 2) } : {}),
    single_item_p50_ms: round(latencies[250], 3),
    single_item_p95_ms: round(latencies[475], 3),
    items: texts.length,
    batch_size: batchSize,
    onnx_vs_tfjs_max_abs_diff: maxDiff,
    ...(fold ? { fold } : {}),
    model,
    load_average_at_start: round(load, 2),
  };
}

/** ≈ fp32 peak of one core of this machine: 2 FMA units × 8 floats × 2 FLOP × ≈ 3 GHz (issue 11). */
export const PEAK_GFLOPS_PER_CORE = 96;

/**
 * Arithmetic of one TextCNN item of `L` tokens (a multiply-add counts 2, an add / max / ReLU 1).
 *   unfolded: convolutions L·F·E·Σk·2, + bias, ReLU, mask, max (4·L·K·F), dense.
 *   folded:   adds over each kernel's offsets L·F·Σ(k−1), max L·K·F, bias + ReLU 2·K·F, dense;
 *             the gathers move L·F·Σk floats (memory traffic, no arithmetic).
 */
export function textCnnFlopsPerItem(config: TextCnnConfig, L: number, numClasses: number): { unfolded: number; folded: number; gatheredBytes: number } {
  const K = config.kernelSizes.length;
  const F = config.filters;
  const sumK = config.kernelSizes.reduce((a, k) => a + k, 0);
  const dense = 2 * K * F * numClasses;
  return {
    unfolded: L * F * config.embeddingDim * sumK * 2 + 4 * L * K * F + dense,
    folded: L * F * (sumK - K) + L * K * F + 2 * K * F + dense,
    gatheredBytes: L * F * sumK * 4,
  };
}

/** Folded against unfolded export of the same TextCNN on the COLD test texts, 1 thread. */
async function foldComparison(weights: StudentWeights, vocab: Vocab, batchSize: number, repeats: number): Promise<Record<string, unknown>> {
  const config = weights.config as TextCnnConfig;
  const texts = loadCold('test').texts;
  const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
  const rates: Record<string, { text: number; ids: number; probs: Float32Array; p50: number }> = {};
  for (const fold of [true, false]) {
    const s = await OnnxStudent.load(exportOnnx(weights, { vocab: vocab.toJSON(), fold }), { intraOpThreads: 1 });
    await s.predict(texts.slice(0, 2000), { batchSize });
    const ids = s.encode(texts);
    let text = 0;
    let idsRate = 0;
    let probs: Float32Array = new Float32Array(0);
    for (let r = 0; r < repeats; r++) {
      let t0 = performance.now();
      probs = (await s.predict(texts, { batchSize })).probs;
      text = Math.max(text, texts.length / ((performance.now() - t0) / 1000));
      t0 = performance.now();
      await s.predict(ids, { batchSize });
      idsRate = Math.max(idsRate, texts.length / ((performance.now() - t0) / 1000));
    }
    const latencies: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t0 = performance.now();
      await s.predict([texts[i]]);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    rates[fold ? 'folded' : 'unfolded'] = { text, ids: idsRate, probs, p50: latencies[500] };
    await s.release();
  }
  let diff = 0;
  for (let i = 0; i < rates.folded.probs.length; i++) diff = Math.max(diff, Math.abs(rates.folded.probs[i] - rates.unfolded.probs[i]));
  const at40 = textCnnFlopsPerItem(config, 40, weights.numClasses);
  const packed = vocab.encodeAll(texts, config.maxLen);
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) tokens += Math.max(1, packed.offsets[i + 1] - packed.offsets[i]);
  const meanTokens = tokens / texts.length;
  const atMean = textCnnFlopsPerItem(config, meanTokens, weights.numClasses);
  const peak = (itemsPerS: number, flops: number) => round((itemsPerS * flops) / (PEAK_GFLOPS_PER_CORE * 1e9), 4);
  return {
    texts: 'COLD test',
    items: texts.length,
    folded_items_per_s: round(rates.folded.text),
    unfolded_items_per_s: round(rates.unfolded.text),
    folded_ids_only_items_per_s: round(rates.folded.ids),
    unfolded_ids_only_items_per_s: round(rates.unfolded.ids),
    speedup_ids_only: round(rates.folded.ids / rates.unfolded.ids, 2),
    folded_single_item_p50_ms: round(rates.folded.p50, 3),
    unfolded_single_item_p50_ms: round(rates.unfolded.p50, 3),
    folded_vs_unfolded_max_abs_diff: diff,
    table_mib: round(foldedTableBytes(config, weights.vocabSize) / 2 ** 20, 2),
    embedding_mib: round((weights.vocabSize * config.embeddingDim * 4) / 2 ** 20, 2),
    vocab_size: weights.vocabSize,
    flops_per_item_at_40_tokens: { folded: at40.folded, unfolded: at40.unfolded },
    gathered_kib_per_item_at_40_tokens: round(at40.gatheredBytes / 1024, 1),
    mean_tokens: round(meanTokens, 1),
    // At the ids-only rate (tokenisation excluded), with the test texts' mean length (padding to a batch's longest not counted).
    fraction_of_fp32_peak: { folded: peak(rates.folded.ids, atMean.folded), unfolded: peak(rates.unfolded.ids, atMean.unfolded) },
    peak_gflops_per_core: PEAK_GFLOPS_PER_CORE,
  };
}
