/**
 * Training throughput of the default student on COLD (25.7k Chinese comments), on whatever
 * backend `initBackend` picks here (tfjs wasm on the 2-core dev boxes), with its test accuracy
 * so that speed is never bought with quality unnoticed. `npm run bench -- train` calls benchTrain().
 *
 * Trains on the gold labels (hard-label loss): the loss is a few hundred flops per example
 * against millions in the network, so distillation targets train at the same speed.
 * CPU seconds are reported next to wall seconds: other processes on a shared box slow the
 * wall clock, not the work done per CPU second.
 */
import { loadavg } from 'node:os';
import { initBackend } from '../lib/ml/backend.ts';
import { DEFAULT_TEXTCNN, DEFAULT_TRAIN, parseStudentConfig, type StudentConfigInput } from '../lib/ml/config.ts';
import { loadCold } from '../lib/ml/datasets.ts';
import { classificationReport, predictLabels } from '../lib/ml/metrics.ts';
import { predictProbs } from '../lib/ml/model.ts';
import { Vocab } from '../lib/ml/tokenizer.ts';
import { trainStudent } from '../lib/ml/train.ts';

export interface BenchTrainOptions {
  model?: StudentConfigInput;
  epochs?: number;
  batchSize?: number;
}

export async function benchTrain(options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const model = parseStudentConfig(options.model ?? (process.env.BENCH_TRAIN_MODEL ? JSON.parse(process.env.BENCH_TRAIN_MODEL) : DEFAULT_TEXTCNN));
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
  const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
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
    backend,
    load_average_at_start: round(load, 2),
  };
}
