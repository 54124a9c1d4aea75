/**
 * A student on tfjs, rebuilt from its training checkpoint alone (weights, config and vocabulary
 * are all in it): the Predictor of a model that has not been exported yet, e.g. the last
 * finished epoch of an interrupted round. The deployed path is ONNX (lib/ml/inference.ts).
 */
import { createHash } from 'node:crypto';
import { initBackend } from './backend.ts';
import { decodeCheckpoint, weightsFromCheckpoint, type TrainCheckpoint } from './checkpoint.ts';
import { predictProbs, type StudentWeights } from './model.ts';
import type { Prediction, Predictor } from './predictor.ts';
import { vocabFromJSON, type FeatureVocab } from './features.ts';

export class TfjsStudent implements Predictor {
  private constructor(
    readonly weights: StudentWeights,
    readonly vocab: FeatureVocab,
    readonly modelVersion: string,
  ) {}

  /** `modelVersion` defaults to a hash of the weights, so that two checkpoints never share one. */
  static fromCheckpoint(source: TrainCheckpoint | Uint8Array, options: { modelVersion?: string } = {}): TfjsStudent {
    const cp = source instanceof Uint8Array ? decodeCheckpoint(source) : source;
    if (!cp.vocab) throw new Error('this checkpoint has no vocabulary (it was trained on bare ids): it cannot score texts');
    const weights = weightsFromCheckpoint(cp);
    return new TfjsStudent(weights, vocabFromJSON(cp.vocab), options.modelVersion ?? weightsVersion(weights));
  }

  get numClasses(): number {
    return this.weights.numClasses;
  }

  async predict(texts: readonly string[]): Promise<Prediction> {
    await initBackend();
    const probs = predictProbs(this.weights, this.vocab.encodeAll(texts, this.weights.config.maxLen));
    return { probs, numClasses: this.numClasses, modelVersion: this.modelVersion };
  }

  /** Nothing to free: tensors live only inside predict(). */
  async release(): Promise<void> {}
}

function weightsVersion(w: StudentWeights): string {
  const h = createHash('sha256').update(JSON.stringify(w.config));
  for (const name of Object.keys(w.params).sort()) h.update(name).update(w.params[name].data);
  return `tfjs-sha256:${h.digest('hex').slice(0, 16)}`;
}
