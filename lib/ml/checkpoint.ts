/**
 * Training checkpoints: what an epoch's end saves (weights, Adam moments and step, the
 * generator state, the epoch, the vocabulary), how a run resumes from it, and its binary format.
 */
import type { StudentConfig, TrainConfig } from './config.ts';
import type { DistillTargets } from './loss.ts';
import type { StudentWeights, TensorData } from './model.ts';
import type { AdamState } from './optimizer.ts';
import { Rng, type RngState } from './rng.ts';
import type { FeatureVocabJSON } from './features.ts';

export interface EpochSummary {
  epoch: number;
  loss: number;
  examples: number;
  seconds: number;
  examplesPerSecond: number;
}

export interface TrainCheckpoint {
  format: 'distillery-train-checkpoint';
  version: 1;
  model: StudentConfig;
  train: TrainConfig;
  numClasses: number;
  vocabSize: number;
  /** Epochs completed. */
  epoch: number;
  /** Adam steps taken (its bias correction needs it). */
  step: number;
  rng: RngState;
  /** Hash of the training data; resuming on other data is refused. */
  dataFingerprint: string;
  params: Record<string, TensorData>;
  adamM: Record<string, TensorData>;
  adamV: Record<string, TensorData>;
  history: EpochSummary[];
  /** n-gram student: how many of its steps the averaged model covers (adamM holds the averaging sums, adamV AdaGrad's). */
  averagedSteps?: number;
  /** The vocabulary the ids came from: with it the model can be rebuilt from the checkpoint alone (absent when training was given bare ids). */
  vocab?: FeatureVocabJSON;
}

/** The loop's state between steps: exactly what a checkpoint saves and restores. */
export interface TrainState extends AdamState {
  epoch: number;
  rng: Rng;
  history: EpochSummary[];
}

export function copyTensors(params: Record<string, TensorData>): Record<string, TensorData> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: [...v.shape], data: v.data.slice() }]));
}

export function toCheckpoint(state: TrainState, model: StudentConfig, train: TrainConfig, C: number, V: number, fingerprint: string, vocab?: FeatureVocabJSON): TrainCheckpoint {
  const shaped = (arrays: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, { shape: [...state.weights.params[k].shape], data: v.slice() }]));
  return {
    format: 'distillery-train-checkpoint',
    version: 1,
    model,
    train,
    numClasses: C,
    vocabSize: V,
    epoch: state.epoch,
    step: state.step,
    rng: state.rng.state(),
    dataFingerprint: fingerprint,
    params: copyTensors(state.weights.params),
    adamM: shaped(state.adamM),
    adamV: shaped(state.adamV),
    history: state.history.map((h) => ({ ...h })),
    ...(vocab ? { vocab } : {}),
  };
}

export function stateFromCheckpoint(cp: TrainCheckpoint): TrainState {
  const weights: StudentWeights = {
    format: 'distillery-student-weights',
    version: 1,
    config: cp.model,
    vocabSize: cp.vocabSize,
    numClasses: cp.numClasses,
    params: copyTensors(cp.params),
  };
  const arrays = (t: Record<string, TensorData>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.data.slice()]));
  return { weights, adamM: arrays(cp.adamM), adamV: arrays(cp.adamV), step: cp.step, epoch: cp.epoch, rng: new Rng(cp.rng), history: cp.history.map((h) => ({ ...h })) };
}

export function assertResumable(cp: TrainCheckpoint, model: StudentConfig, train: TrainConfig, C: number, V: number, fingerprint: string, vocab?: FeatureVocabJSON): void {
  if (cp.format !== 'distillery-train-checkpoint') throw new Error('not a training checkpoint');
  if (JSON.stringify(cp.model) !== JSON.stringify(model)) throw new Error('checkpoint was trained with another model config');
  // Compared key by key (sorted): the same settings may have been filled in in another order.
  const canonical = (t: TrainConfig) => JSON.stringify(Object.entries(t).filter(([k, v]) => k !== 'epochs' && v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (canonical(train) !== canonical(cp.train)) throw new Error('checkpoint was trained with another training config');
  if (cp.numClasses !== C || cp.vocabSize !== V) throw new Error('checkpoint has another number of classes or vocabulary size');
  if (cp.dataFingerprint !== fingerprint) throw new Error('checkpoint was trained on other data');
  if (cp.vocab && vocab && JSON.stringify(cp.vocab) !== JSON.stringify(vocab)) throw new Error('checkpoint was trained with another vocabulary');
}

export /** FNV-1a over the data's bytes: cheap (≈ 0.1 s per 10M tokens) and enough to catch a wrong resume. */
function fingerprintData(data: DistillTargets & { offsets: Int32Array; tokens: Int32Array }, C: number): string {
  let h = 0x811c9dc5;
  const mix = (arr: ArrayBufferView) => {
    const words = new Int32Array(arr.buffer, arr.byteOffset, arr.byteLength >> 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset + (words.length << 2), arr.byteLength & 3);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  };
  mix(data.offsets);
  mix(data.tokens);
  mix(data.softTargets);
  mix(data.hardLabels);
  mix(data.weights);
  if (data.softMask) mix(data.softMask);
  return `${data.offsets.length - 1}x${C}:${(h >>> 0).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// Binary checkpoint format: "DSTC" | u32 header length | JSON header | padding to 4 | float32 data.
// The header is the checkpoint with every Float32Array replaced by { shape, offset } (in floats).

const MAGIC = [0x44, 0x53, 0x54, 0x43];

export function encodeCheckpoint(cp: TrainCheckpoint): Uint8Array {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const describe = (t: Record<string, TensorData>) =>
    Object.fromEntries(
      Object.entries(t).map(([k, v]) => {
        const d = { shape: v.shape, offset };
        chunks.push(v.data);
        offset += v.data.length;
        return [k, d];
      }),
    );
  const header = { ...cp, params: describe(cp.params), adamM: describe(cp.adamM), adamV: describe(cp.adamV) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align4(8 + json.length);
  const out = new Uint8Array(start + offset * 4);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  const floats = new Float32Array(out.buffer, start, offset);
  let pos = 0;
  for (const c of chunks) {
    floats.set(c, pos);
    pos += c.length;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): TrainCheckpoint {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not a distillery checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const start = align4(8 + len);
  // Copy so that the result does not alias (or need the alignment of) the caller's buffer.
  const floats = new Float32Array(bytes.slice(start).buffer);
  const restore = (t: Record<string, { shape: number[]; offset: number }>) =>
    Object.fromEntries(
      Object.entries(t).map(([k, v]) => {
        const size = v.shape.reduce((a, b) => a * b, 1);
        return [k, { shape: v.shape, data: floats.slice(v.offset, v.offset + size) }];
      }),
    );
  return { ...header, params: restore(header.params), adamM: restore(header.adamM), adamV: restore(header.adamV) } as TrainCheckpoint;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The trained weights stored in a checkpoint (e.g. to export the last finished epoch). For the
 * n-gram student, whose model is the average of its steps (lib/ml/ngram-student.ts), that average.
 */
export function weightsFromCheckpoint(cp: TrainCheckpoint): StudentWeights {
  const { weights } = stateFromCheckpoint(cp);
  return cp.model.arch === 'ngram' ? averagedWeights(weights.params, cp.adamM, cp.averagedSteps ?? cp.step, weights) : weights;
}

/** Trained by the n-gram student's averaging: W − A/m (A = Σ_u (u − s₀ − 1)·Δ_u over the m averaged steps u > s₀). */
const AVERAGED = ['embedding', 'dense.kernel', 'dense.bias'];

/** The average of every step's weights, from the current weights and the averaging sums. */
export function averagedWeights(params: Record<string, TensorData>, avg: Record<string, TensorData | Float32Array>, steps: number, base: Omit<StudentWeights, 'params'>): StudentWeights {
  const out = copyTensors(params);
  if (steps > 0) {
    for (const name of AVERAGED) {
      const a = avg[name];
      if (!a || !out[name]) continue;
      const A = a instanceof Float32Array ? a : a.data;
      const W = out[name].data;
      for (let i = 0; i < W.length; i++) W[i] -= A[i] / steps;
    }
  }
  const { format, version, config, vocabSize, numClasses } = base;
  return { format, version, config, vocabSize, numClasses, params: out };
}
