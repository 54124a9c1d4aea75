/**
 * A worker thread's side of data-parallel BiLSTM training (lib/ml/lstm-parallel.ts): it reads the
 * weights the calling thread updates (shared memory; the calling thread writes them only between
 * steps, while every thread waits) and returns the gradients of the rows it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fusedBiLstmGradients } from './lstm-fused.ts';
import { makeBatch, type StudentWeights } from './model.ts';
import type { ShardRequest, ShardSetup } from './lstm-parallel.ts';

const d = workerData as ShardSetup;
const n = d.offsets.length - 1;
const weights: StudentWeights = { format: 'distillery-student-weights', version: 1, config: d.config, vocabSize: d.vocabSize, numClasses: d.numClasses, params: d.params };
const targets = { softTargets: d.softTargets, ...(d.softMask ? { softMask: d.softMask } : {}), hardLabels: d.hardLabels, weights: d.weights ?? new Float32Array(n).fill(1) };

parentPort!.on('message', ({ rows, dropout, normaliser }: ShardRequest) => {
  try {
    const batch = makeBatch(d.offsets, d.tokens, rows, d.config.maxLen);
    const g = fusedBiLstmGradients(weights, batch, rows, targets, d.settings, dropout ?? undefined, normaliser);
    const transfer = [...g.dense.map((a) => a.buffer), g.embeddingRows.buffer, g.embeddingGrads.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ ok: true, result: g }, transfer);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
