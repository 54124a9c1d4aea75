/**
 * Training throughput of the default student (the n-gram student) on COLD (25.7k Chinese comments)
 * and Banking77 (10k English queries, 77 intents), on one and two threads, with its test accuracy
 * so that speed is never bought with quality unnoticed; or of a tfjs student on whatever backend
 * `initBackend` picks here (tfjs wasm on the 2-core dev boxes). `npm run bench -- train` calls benchTrain().
 *
 * Trains on the gold labels (hard-label loss): the loss is a few hundred flops per example
 * against millions in the network, so distillation targets train at the same speed.
 * CPU seconds are reported next to wall seconds: other processes on a shared box slow the
 * wall clock, not the work done per CPU second.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../lib/ml/backend.ts';
import { DEFAULT_TEXTCNN, DEFAULT_TRAIN, parseStudentConfig, type StudentConfigInput } from '../lib/ml/config.ts';
import { loadBanking77, loadCold } from '../lib/ml/datasets.ts';
import { buildVocab } from '../lib/ml/features.ts';
import { classificationReport, predictLabels } from '../lib/ml/metrics.ts';
import { predictProbs } from '../lib/ml/model.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';
import { fusedKernelsAvailable } from '../lib/ml/lstm-fused.ts';
import { lstmThreads, trainStudent } from '../lib/ml/train.ts';

export interface BenchTrainOptions {
  model?: StudentConfigInput;
  epochs?: number;
  batchSize?: number;
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The default student (the n-gram student) on COLD and Banking77, gold labels, on 1 and 2 threads:
 * examples/s (wall and per CPU-second) and test accuracy, so that two-core training is seen to pay
 * and to cost no accuracy. BENCH_TRAIN_MODEL='{"arch":"textcnn"}' measures a tfjs student on COLD instead.
 */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const requested = options.model ?? (process.env.BENCH_TRAIN_MODEL ? JSON.parse(process.env.BENCH_TRAIN_MODEL) : null);
  if (requested && parseStudentConfig(requested).arch !== 'ngram') return benchTfjsTrain({ ...options, model: requested });
  const model = parseStudentConfig(requested ?? { arch: 'ngram' });
  const load = loadavg()[0];
  const out: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  for (const name of ['cold', 'banking77'] as const) {
    const train = name === 'cold' ? loadCold('train') : loadBanking77('train');
    const test = name === 'cold' ? loadCold('test') : loadBanking77('test');
    const C = name === 'cold' ? 2 : train.labelNames.length;
    const vocab = buildVocab(model, train.texts);
    const ids = vocab.encodeAll(train.texts, model.maxLen);
    const testIds = vocab.encodeAll(test.texts, model.maxLen);
    const n = train.texts.length;
    const runs: Record<string, unknown>[] = [];
    for (const threads of [1, 2]) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await trainStudent({
        model,
        train: { ...(options.epochs ? { epochs: options.epochs } : {}), threads },
        numClasses: C,
        vocabSize: vocab.size,
        vocab: vocab.toJSON(),
        data: { ids, softTargets: new Float32Array(n * C), softMask: new Uint8Array(n), hardLabels: train.labels, weights: new Float32Array(n).fill(1) },
      });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const examples = result.history.reduce((a, h) => a + h.examples, 0);
      const report = classificationReport(predictLabels(predictProbs(result.weights, testIds), C), test.labels, C);
      runs.push({
        threads,
        examples_per_s: round(examples / seconds),
        // The worker threads' CPU time counts too (process.cpuUsage covers every thread).
        examples_per_cpu_s: round(examples / ((cpu.user + cpu.system) / 1e6)),
        seconds: round(seconds, 2),
        epochs: result.history.length,
        test_accuracy: round(report.accuracy, 4),
        test_macro_f1: round(report.macroF1, 4),
      });
    }
    const [one, two] = runs as { examples_per_s: number; test_accuracy: number }[];
    out[`${name}_train_examples_per_s`] = two.examples_per_s;
    out[`${name}_train_examples_per_s_1_thread`] = one.examples_per_s;
    out[`${name}_test_accuracy`] = two.test_accuracy;
    out[`${name}_test_accuracy_1_thread`] = one.test_accuracy;
    details[name] = { train_rows: n, classes: C, vocab_size: vocab.size, runs };
  }
  return {
    // The default student on COLD, both cores: the figure issue 11's goal (≥ 10,000) is about.
    train_examples_per_s: out.cold_train_examples_per_s,
    ...out,
    ...details,
    model,
    backend: 'js',
    load_average_at_start: round(load, 2),
  };
}

/**
 * A network student (TextCNN, BiLSTM) on COLD: throughput and test accuracy. The TextCNN trains on
 * tfjs (the backend `initBackend` picks); the one-layer BiLSTM on the fused kernels (lib/ml/lstm-fused.ts).
 * BENCH_TRAIN_EPOCHS sets the epochs (default 3).
 */
async function benchTfjsTrain(options: BenchTrainOptions): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const model = parseStudentConfig(options.model ?? DEFAULT_TEXTCNN);
  if (model.arch === 'ngram') throw new Error('the n-gram student is measured by benchTrain');
  const epochs = options.epochs ?? Number(process.env.BENCH_TRAIN_EPOCHS || DEFAULT_TRAIN.epochs);
  const batchSize = options.batchSize ?? DEFAULT_TRAIN.batchSize;
  const train = loadCold('train');
  const test = loadCold('test');
  const load = loadavg()[0];

  const vocab = Vocab.build(train.texts, { minFreq: 2 });
  let ids = vocab.encodeAll(train.texts, model.maxLen);
  // Tokenisation speed, warm (the first pass also compiles the scanner).
  let t0 = performance.now();
  for (let r = 0; r < 4; r++) ids = vocab.encodeAll(train.texts, model.maxLen);
  const encodeSeconds = (performance.now() - t0) / 1000 / 4;

  const n = train.texts.length;
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const result = await trainStudent({
    model,
    train: { ...DEFAULT_TRAIN, epochs, batchSize },
    numClasses: 2,
    vocabSize: vocab.size,
    data: { ids, softTargets: new Float32Array(n * 2), softMask: new Uint8Array(n), hardLabels: train.labels, weights: new Float32Array(n).fill(1) },
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const examples = result.history.reduce((a, h) => a + h.examples, 0);

  const report = classificationReport(predictLabels(predictProbs(result.weights, vocab.encodeAll(test.texts, model.maxLen)), 2), test.labels, 2);
  return {
    train_examples_per_s: round(examples / seconds),
    train_examples_per_cpu_s: round(examples / cpuSeconds),
    best_epoch_examples_per_s: round(Math.max(...result.history.map((h) => h.examplesPerSecond))),
    examples,
    epochs,
    seconds: round(seconds, 1),
    cpu_seconds: round(cpuSeconds, 1),
    test_accuracy: round(report.accuracy, 4),
    test_macro_f1: round(report.macroF1, 4),
    encode_texts_per_s: round(n / encodeSeconds),
    vocab_size: vocab.size,
    model,
    batch_size: batchSize,
    // The one-layer BiLSTM trains on the fused wasm kernels on this many threads (DISTILLERY_TRAIN_THREADS, else the cores, up to 2).
    ...(model.arch === 'bilstm' && model.layers === 1 && fusedKernelsAvailable() ? { threads: lstmThreads(undefined, n), kernels: 'fused wasm SIMD' } : {}),
    backend,
    load_average_at_start: round(load, 2),
  };
}
