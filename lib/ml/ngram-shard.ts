/**
 * A worker thread's side of data-parallel n-gram training (lib/ml/ngram-parallel.ts): it holds
 * the shared training data and its own share's weights, and trains the rows it is sent with the
 * same NgramStepper as the calling thread, its averaging lag counted from 0.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NgramStepper, type NgramStepArrays, type NgramStepSetup } from './ngram-student.ts';

/** The setup without its targets (sent as their arrays; the weights are rebuilt here), and this share's arrays. */
type ShardData = Omit<NgramStepSetup, 'targets'> & {
  softTargets: Float32Array;
  softMask: Uint8Array | null;
  hardLabels: Int32Array;
  arrays: NgramStepArrays;
};

const d = workerData as ShardData;
const n = d.offsets.length - 1;
const stepper = new NgramStepper(
  {
    model: d.model,
    numClasses: d.numClasses,
    lr: d.lr,
    batchSize: d.batchSize,
    settings: d.settings,
    idf: d.idf,
    offsets: d.offsets,
    tokens: d.tokens,
    targets: { softTargets: d.softTargets, ...(d.softMask ? { softMask: d.softMask } : {}), hardLabels: d.hardLabels, weights: new Float32Array(n).fill(1) },
  },
  d.arrays,
);

const REPORT_MS = 250;

parentPort!.on('message', ({ rows, averaging }: { rows: Int32Array; averaging: boolean }) => {
  const B = d.batchSize;
  const steps = Math.ceil(rows.length / B);
  stepper.lossSum = 0;
  stepper.weightSum = 0;
  let last = performance.now();
  for (let st = 0; st < steps; st++) {
    stepper.step(rows.subarray(st * B, Math.min(rows.length, st * B + B)), averaging ? st : 0);
    const now = performance.now();
    if (now - last >= REPORT_MS) {
      last = now;
      parentPort!.postMessage({ kind: 'progress', visits: Math.min(rows.length, (st + 1) * B), steps: st + 1, lossSum: stepper.lossSum, weightSum: stepper.weightSum });
    }
  }
  parentPort!.postMessage({ kind: 'done', visits: rows.length, steps, lossSum: stepper.lossSum, weightSum: stepper.weightSum });
});
