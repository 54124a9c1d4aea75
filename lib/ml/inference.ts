/**
 * Scoring with an exported student on onnxruntime-node (the deployed path: the predict API,
 * rescoring the pool for the disagreement queue, throughput measurements).
 *
 * Texts are tokenised with the vocabulary embedded in the model, sorted by length and scored in
 * batches padded to each batch's longest text — padding is masked in the graph, so the result
 * is the same as scoring one by one, only much faster.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { StudentConfig } from './config.ts';
import { INPUT_NAME, MODEL_VERSION_KEY, OUTPUT_NAME, readOnnxMetadata } from './onnx.ts';
import { studentModelVersion, type Prediction, type Predictor } from './predictor.ts';
import { type PackedIds, packIds } from './tokenizer.ts';
import { vocabFromJSON, type FeatureVocab, type FeatureVocabJSON } from './features.ts';
import { OrtThread } from './ort-thread.ts';

export interface OnnxStudentOptions {
  /** Threads inside one inference (default: 1 — a worker scoring large batches on a busy 2-core box is best with 1 per session; use 2 on an idle box). */
  intraOpThreads?: number;
  /** Vocabulary to use when the model does not embed one. */
  vocab?: FeatureVocab | FeatureVocabJSON;
  /** Overrides the version read from the model's metadata. */
  modelVersion?: string;
  /** Run the session on a worker thread (OrtThread): tokenisation stays here, run() leaves this event loop. */
  thread?: boolean;
  /**
   * false: onnxruntime's intra-op threads sleep between batches instead of spinning (the predict API:
   * 10% less CPU per request and 3–4% more items/s in the infer bench, where the load generator,
   * the event loop and two onnxruntime threads share two cores).
   */
  spin?: boolean;
}

export interface PredictOptions {
  /** Items per onnxruntime call (default 256). */
  batchSize?: number;
}

export class OnnxStudent implements Predictor {
  private constructor(
    private readonly session: ort.InferenceSession | OrtThread,
    readonly config: StudentConfig,
    readonly numClasses: number,
    readonly vocab: FeatureVocab | null,
    readonly modelVersion: string,
  ) {}

  static async load(source: Uint8Array | string, options: OnnxStudentOptions = {}): Promise<OnnxStudent> {
    const bytes = typeof source === 'string' ? new Uint8Array(await fs.readFile(source)) : source;
    const meta = readOnnxMetadata(bytes);
    if (!meta['distillery.config']) throw new Error('not a distillery student (no distillery.config metadata)');
    const config = JSON.parse(meta['distillery.config']) as StudentConfig;
    const numClasses = Number(meta['distillery.numClasses']);
    let vocab: FeatureVocab | null = null;
    if (options.vocab) vocab = 'encodeAll' in options.vocab ? options.vocab : vocabFromJSON(options.vocab);
    else if (meta['distillery.vocab']) vocab = vocabFromJSON(meta['distillery.vocab']);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      enableMemPattern: true,
      // Idle pool threads spin by default, burning CPU that a server's other threads need.
      ...(options.spin === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    };
    const session = options.thread ? await OrtThread.start(bytes, sessionOptions) : await ort.InferenceSession.create(bytes, sessionOptions);
    return new OnnxStudent(session, config, numClasses, vocab, options.modelVersion ?? versionOf(meta, bytes));
  }

  /** Token ids of texts with the model's vocabulary and maxLen. */
  encode(texts: readonly string[]): PackedIds {
    if (!this.vocab) throw new Error('this model has no embedded vocabulary: pass { vocab } to load() or predict ids');
    return this.vocab.encodeAll(texts, this.config.maxLen);
  }

  /**
   * Class probabilities, n×C row-major, in input order. Accepts raw texts (needs a vocabulary),
   * per-item id arrays, or packed ids.
   */
  async predict(input: readonly string[] | readonly Int32Array[] | PackedIds, options: PredictOptions = {}): Promise<Prediction> {
    const packed = isPacked(input) ? input : input.length > 0 && typeof input[0] === 'string' ? this.encode(input as string[]) : packIds(input as Int32Array[]);
    const { offsets, tokens } = packed;
    const n = offsets.length - 1;
    const C = this.numClasses;
    const maxLen = this.config.maxLen;
    const batchSize = options.batchSize ?? 256;
    const out = new Float32Array(n * C);
    const prediction = { probs: out, numClasses: C, modelVersion: this.modelVersion };
    if (n === 0) return prediction;
    const len = (i: number) => Math.max(1, Math.min(offsets[i + 1] - offsets[i], maxLen));
    const order = lengthOrder(n, maxLen, len);

    // On the inference thread every chunk is posted at once and runs back to back there: awaiting
    // each before posting the next left that thread idle until this event loop came round again.
    const posted: Promise<void>[] = [];
    for (let s = 0; s < n; s += batchSize) {
      const rows = order.subarray(s, Math.min(n, s + batchSize));
      const L = len(rows[rows.length - 1]);
      // int64 ids written as pairs of int32 words (little-endian, ids ≥ 0): no BigInt per token.
      const ids = new BigInt64Array(rows.length * L);
      const words = new Int32Array(ids.buffer);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        const start = offsets[r];
        const m = Math.min(offsets[r + 1] - start, maxLen);
        if (m === 0) words[2 * i * L] = 1; // empty text → OOV, as in training
        for (let t = 0; t < m; t++) words[2 * (i * L + t)] = tokens[start + t];
      }
      if (this.session instanceof OrtThread) {
        posted.push(
          this.session.run(INPUT_NAME, OUTPUT_NAME, ids, [rows.length, L]).then((probs) => {
            for (let i = 0; i < rows.length; i++) out.set(probs.subarray(i * C, i * C + C), rows[i] * C);
          }),
        );
        continue;
      }
      const result = await this.session.run({ [INPUT_NAME]: new ort.Tensor('int64', ids, [rows.length, L]) });
      const probs = result[OUTPUT_NAME].data as Float32Array;
      for (let i = 0; i < rows.length; i++) out.set(probs.subarray(i * C, i * C + C), rows[i] * C);
      result[OUTPUT_NAME].dispose?.();
    }
    // Every posted chunk settles before the call does, failed or not: the caller's concurrency
    // slot must not be freed while the inference thread is still busy with this call's chunks.
    const settled = await Promise.allSettled(posted);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return prediction;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The version a model was exported with; else the round it came from; else its content hash,
 * so that even an unnamed model's predictions say which model made them.
 */
function versionOf(meta: Record<string, string>, bytes: Uint8Array): string {
  if (meta[MODEL_VERSION_KEY]) return meta[MODEL_VERSION_KEY];
  if (meta['distillery.phase'] && meta['distillery.round']) return studentModelVersion(Number(meta['distillery.phase']), Number(meta['distillery.round']));
  return `onnx-sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
}

/** Indices 0…n−1 by length, then index (a counting sort: lengths are 1…maxLen; a comparison sort cost ≈ 6 % of the n-gram student's scoring). */
function lengthOrder(n: number, maxLen: number, len: (i: number) => number): Int32Array {
  const starts = new Int32Array(maxLen + 2);
  for (let i = 0; i < n; i++) starts[len(i) + 1]++;
  for (let l = 1; l <= maxLen + 1; l++) starts[l] += starts[l - 1];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[starts[len(i)]++] = i;
  return order;
}

function isPacked(x: unknown): x is PackedIds {
  return typeof x === 'object' && x !== null && 'offsets' in x && 'tokens' in x;
}
