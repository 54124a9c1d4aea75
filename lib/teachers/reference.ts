/**
 * The demo's reference teacher. No pretrained BERT can be had here, so the teacher is a real
 * model the project trains itself on a training split's gold labels — an ensemble of different
 * model families whose averaged probabilities stand in for a fine-tuned BERT's. Its outputs for
 * every item are computed by inference, never copied from gold labels.
 *
 * Members are students' architectures trained on hard labels (lib/ml/train.ts), each with its own
 * vocabulary (a TextCNN's token table or an n-gram table) embedded in its ONNX file, so members of
 * different families average like any ONNX models.
 */
import { ARCH_TRAIN_DEFAULTS, parseStudentConfig, type StudentConfig, type StudentConfigInput, type TrainConfigInput } from '../ml/config.ts';
import { buildVocab } from '../ml/features.ts';
import { exportOnnx } from '../ml/onnx.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { teacherModelVersion, type Prediction, type Predictor } from '../ml/predictor.ts';
import { PAD_ID, type PackedIds } from '../ml/tokenizer.ts';
import { trainStudent, type TrainProgress } from '../ml/train.ts';

export interface TeacherMember {
  model: StudentConfigInput;
  train: TrainConfigInput;
  /**
   * n-gram members only: scale each n-gram's idf by its naive-Bayes log-count ratio (NB-LR,
   * Wang & Manning 2012), mixed in with this strength (0: plain TF-IDF, 1: idf × ratio). An
   * n-gram that only one class uses then weighs more than one that both use.
   */
  nbStrength?: number;
}

export interface TeacherSpec {
  name: string;
  version: string;
  members: TeacherMember[];
}

/**
 * The demo's teacher since issue 11: an NB-weighted n-gram logistic regression (seconds) and a
 * TextCNN wider than the default student (emb 64, 96 filters of widths 1–4 against 48 and 64 of
 * 1–3; about 2 min on one core of this machine), averaged. Measured on COLD (train.csv gold → test.csv): the
 * members alone 0.806 and 0.795, together 0.805 (dev.csv: 0.907 and 0.905 alone, 0.915
 * together), where the default n-gram student reaches 0.802 (README → Benchmarks). The choices
 * (NB strength 0.5, the TextCNN's size) were made on dev.csv, never on test.csv.
 */
export const REFERENCE_V2: TeacherSpec = {
  name: 'reference-v2',
  version: '2',
  members: [
    // One thread: the same model on any machine (the thread count changes it), in ≈ 4 s.
    { model: { arch: 'ngram' }, train: { seed: 11, threads: 1 }, nbStrength: 0.5 },
    { model: { arch: 'textcnn', embeddingDim: 64, filters: 96, kernelSizes: [1, 2, 3, 4], dropout: 0.5, maxLen: 128 }, train: { epochs: 3, seed: 11 } },
  ],
};

/** The demo's first teacher: two wide TextCNNs, 4 epochs each (COLD test 0.807; 9–25 min on 2 cores). */
export const REFERENCE_V1: TeacherSpec = {
  name: 'reference-v1',
  version: '1',
  members: [
    { model: { arch: 'textcnn', embeddingDim: 128, filters: 128, kernelSizes: [1, 2, 3, 4, 5], dropout: 0.5, maxLen: 128 }, train: { epochs: 4, seed: 101, learningRate: 2e-3 } },
    { model: { arch: 'textcnn', embeddingDim: 128, filters: 128, kernelSizes: [2, 3, 4, 6], dropout: 0.5, maxLen: 128 }, train: { epochs: 4, seed: 202, learningRate: 2e-3 } },
  ],
};

/** The reference teachers the demo can train (`npm run demo -- --teacher <name>`), the default first. */
export const REFERENCE_TEACHERS: readonly TeacherSpec[] = [REFERENCE_V2, REFERENCE_V1];

export function referenceTeacher(name?: string): TeacherSpec {
  if (!name) return REFERENCE_TEACHERS[0];
  const spec = REFERENCE_TEACHERS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown reference teacher "${name}" (known: ${REFERENCE_TEACHERS.map((t) => t.name).join(', ')})`);
  return spec;
}

/**
 * Rough training cost of one example for one epoch, by architecture, relative to the n-gram
 * student (from the training speeds in README → Benchmarks: ≈ 140,000 examples/s for the n-gram
 * student, ≈ 2,000 for a TextCNN, ≈ 400 for the BiLSTM, on one core of the 2-core machine).
 * Only the progress bar uses it: it tells how much of an ensemble's training each member is.
 */
const RELATIVE_COST_PER_EXAMPLE_EPOCH: Record<StudentConfig['arch'], number> = { ngram: 1, textcnn: 70, bilstm: 350 };

/**
 * Each member's share of the ensemble's training time, as [start, span] fractions of the whole,
 * by its architecture's cost and its epochs: reference-v2's n-gram member trains in seconds and
 * its TextCNN in minutes, so equal halves sent the bar to 50 % after the first few seconds.
 */
export function memberSpans(spec: TeacherSpec): { start: number; span: number }[] {
  const costs = spec.members.map(({ model, train }) => {
    const arch = parseStudentConfig(model).arch;
    return RELATIVE_COST_PER_EXAMPLE_EPOCH[arch] * (train.epochs ?? ARCH_TRAIN_DEFAULTS[arch].epochs);
  });
  const total = costs.reduce((a, b) => a + b, 0);
  let start = 0;
  return costs.map((c) => {
    const span = { start, span: c / total };
    start += c / total;
    return span;
  });
}

export interface TrainedTeacher {
  spec: TeacherSpec;
  members: Uint8Array[];
}

export interface TeacherTrainHooks {
  onProgress?: (member: number, p: TrainProgress) => void;
  /** Called after each member; persist it so that a restarted run trains only the rest. */
  onMember?: (member: number, onnx: Uint8Array) => Promise<void>;
  /** Members already trained (from a previous, interrupted run). */
  done?: (Uint8Array | null)[];
  signal?: AbortSignal;
}

/**
 * Per-feature weights of an n-gram member: idf × ((1 − strength) + strength · r), where r is the
 * feature's largest naive-Bayes log-count ratio between a class and the rest,
 * |log(p_c(f) / ‖p_c‖₁) − log(p_¬c(f) / ‖p_¬c‖₁)|, with p_c(f) = 1 + the number of class-c texts
 * that contain f (add-one smoothing). Padding keeps weight 0. The ratios come from the member's
 * training texts and labels only.
 */
export function nbFeatureWeights(ids: PackedIds, labels: ArrayLike<number>, numClasses: number, idf: Float32Array, strength: number): Float32Array {
  const V = idf.length;
  const C = numClasses;
  const counts = new Float64Array(V * C).fill(1);
  const n = ids.offsets.length - 1;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0 || c >= C) continue;
    for (let k = ids.offsets[i]; k < ids.offsets[i + 1]; k++) counts[ids.tokens[k] * C + c] += 1;
  }
  const classTotal = new Float64Array(C);
  for (let f = 0; f < V; f++) for (let c = 0; c < C; c++) classTotal[c] += counts[f * C + c];
  const all = classTotal.reduce((a, b) => a + b, 0);
  const out = new Float32Array(V);
  for (let f = 0; f < V; f++) {
    let rowSum = 0;
    for (let c = 0; c < C; c++) rowSum += counts[f * C + c];
    let r = 0;
    for (let c = 0; c < C; c++) {
      const p = counts[f * C + c] / classTotal[c];
      const q = (rowSum - counts[f * C + c]) / (all - classTotal[c]);
      r = Math.max(r, Math.abs(Math.log(p / q)));
    }
    out[f] = idf[f] * (1 - strength + strength * r);
  }
  out[PAD_ID] = 0;
  return out;
}

/** Trains each member on hard gold labels only (no soft targets: this model is the teacher). */
export async function trainTeacher(spec: TeacherSpec, texts: string[], labels: Int32Array, numClasses: number, hooks: TeacherTrainHooks = {}): Promise<TrainedTeacher> {
  const n = texts.length;
  const members: Uint8Array[] = [];
  for (let m = 0; m < spec.members.length; m++) {
    const prior = hooks.done?.[m];
    if (prior) {
      members.push(prior);
      continue;
    }
    const { model: modelInput, train, nbStrength } = spec.members[m];
    const model = parseStudentConfig(modelInput);
    const vocab = buildVocab(model, texts);
    const ids = vocab.encodeAll(texts, model.maxLen);
    let featureWeights: Float32Array | undefined;
    if (nbStrength != null) {
      if (model.arch !== 'ngram' || !('idf' in vocab)) throw new Error('nbStrength applies to n-gram members only');
      featureWeights = nbFeatureWeights(ids, labels, numClasses, vocab.idf(), nbStrength);
    }
    const result = await trainStudent({
      model,
      train,
      numClasses,
      vocabSize: vocab.size,
      vocab: vocab.toJSON(),
      signal: hooks.signal,
      featureWeights,
      data: { ids, softTargets: new Float32Array(n * numClasses), softMask: new Uint8Array(n), hardLabels: labels, weights: new Float32Array(n).fill(1) },
      onProgress: (p) => hooks.onProgress?.(m, p),
    });
    const onnx = exportOnnx(result.weights, { vocab: vocab.toJSON(), metadata: { 'distillery.teacher': spec.name, 'distillery.member': String(m) } });
    await hooks.onMember?.(m, onnx);
    members.push(onnx);
  }
  return { spec, members };
}

/** The ensemble as a Predictor: the mean of its members' probabilities, versioned `<name>@<version>`. */
export class ReferenceTeacher implements Predictor {
  private constructor(
    private readonly members: OnnxStudent[],
    readonly modelVersion: string,
  ) {}

  static async load(teacher: Pick<TrainedTeacher, 'spec' | 'members'>): Promise<ReferenceTeacher> {
    if (!teacher.members.length) throw new Error('a teacher needs at least one member');
    const members = await Promise.all(teacher.members.map((bytes) => OnnxStudent.load(bytes, { intraOpThreads: 1 })));
    return new ReferenceTeacher(members, teacherModelVersion(teacher.spec.name, teacher.spec.version));
  }

  get numClasses(): number {
    return this.members[0].numClasses;
  }

  async predict(texts: readonly string[]): Promise<Prediction> {
    const sum = new Float32Array(texts.length * this.numClasses);
    for (const member of this.members) {
      const p = (await member.predict(texts)).probs;
      for (let i = 0; i < p.length; i++) sum[i] += p[i];
    }
    const k = this.members.length;
    for (let i = 0; i < sum.length; i++) sum[i] /= k;
    return { probs: sum, numClasses: this.numClasses, modelVersion: this.modelVersion };
  }

  async release(): Promise<void> {
    await Promise.all(this.members.map((m) => m.release()));
  }
}

/** One-off scoring with a trained teacher: load, predict, release. */
export async function teacherPredict(teacher: Pick<TrainedTeacher, 'spec' | 'members'>, texts: string[]): Promise<Prediction> {
  const model = await ReferenceTeacher.load(teacher);
  try {
    return await model.predict(texts);
  } finally {
    await model.release();
  }
}
