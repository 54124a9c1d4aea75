/**
 * The demo's reference teacher. No pretrained BERT can be had here, so the teacher is a real
 * model the project trains itself on a training split's gold labels — an ensemble of wider
 * TextCNNs than the default student (more filters, wider embeddings, other kernel widths,
 * other seeds) whose averaged probabilities stand in for a fine-tuned BERT's. Its outputs for
 * every item are computed by inference, never copied from gold labels.
 */
import type { StudentConfigInput, TrainConfigInput } from '../ml/config.ts';
import { exportOnnx } from '../ml/onnx.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { teacherModelVersion, type Prediction, type Predictor } from '../ml/predictor.ts';
import { Vocab, type VocabJSON } from '../ml/tokenizer.ts';
import { trainStudent, type TrainProgress } from '../ml/train.ts';

export interface TeacherSpec {
  name: string;
  version: string;
  members: { model: StudentConfigInput; train: TrainConfigInput }[];
}

export const REFERENCE_V1: TeacherSpec = {
  name: 'reference-v1',
  version: '1',
  members: [
    { model: { arch: 'textcnn', embeddingDim: 128, filters: 128, kernelSizes: [1, 2, 3, 4, 5], dropout: 0.5, maxLen: 128 }, train: { epochs: 4, seed: 101, learningRate: 2e-3 } },
    { model: { arch: 'textcnn', embeddingDim: 128, filters: 128, kernelSizes: [2, 3, 4, 6], dropout: 0.5, maxLen: 128 }, train: { epochs: 4, seed: 202, learningRate: 2e-3 } },
  ],
};

export interface TrainedTeacher {
  spec: TeacherSpec;
  vocab: VocabJSON;
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

/** Trains each member on hard gold labels only (no soft targets: this model is the teacher). */
export async function trainTeacher(spec: TeacherSpec, texts: string[], labels: Int32Array, numClasses: number, hooks: TeacherTrainHooks = {}, vocabJson?: VocabJSON): Promise<TrainedTeacher> {
  const vocab = vocabJson ? Vocab.fromJSON(vocabJson) : Vocab.build(texts, { minFreq: 2 });
  const n = texts.length;
  const members: Uint8Array[] = [];
  for (let m = 0; m < spec.members.length; m++) {
    const prior = hooks.done?.[m];
    if (prior) {
      members.push(prior);
      continue;
    }
    const { model, train } = spec.members[m];
    const ids = vocab.encodeAll(texts, (model as { maxLen?: number }).maxLen ?? 128);
    const result = await trainStudent({
      model,
      train,
      numClasses,
      vocabSize: vocab.size,
      vocab: vocab.toJSON(),
      signal: hooks.signal,
      data: { ids, softTargets: new Float32Array(n * numClasses), softMask: new Uint8Array(n), hardLabels: labels, weights: new Float32Array(n).fill(1) },
      onProgress: (p) => hooks.onProgress?.(m, p),
    });
    const onnx = exportOnnx(result.weights, { vocab: vocab.toJSON(), metadata: { 'distillery.teacher': spec.name, 'distillery.member': String(m) } });
    await hooks.onMember?.(m, onnx);
    members.push(onnx);
  }
  return { spec, vocab: vocab.toJSON(), members };
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
