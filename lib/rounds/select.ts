/**
 * Choosing a round's epoch on the validation slice (held-out trusted labels), and early stopping.
 *
 * 'accuracy' counts the validation items each epoch decides right. On a slice of ~150 items one
 * item moves it by 0.7 points, so ties and one-item differences pick the epoch, and epochs 1–3 of
 * the n-gram student (before its iterate averaging) are kept in many rounds. 'loss' ranks epochs
 * by the mean log-likelihood of the validation labels under the student's probabilities: every
 * item counts by how sure the student is, not only which side of the decision it falls on, so
 * the choice is far less noisy for the same items.
 */
import { PROB_FLOOR } from '../ml/loss.ts';
import { accuracy } from '../ml/metrics.ts';
import type { SelectBy } from './config.ts';

/** Mean log-likelihood of the labels (≤ 0; higher is better). */
export function meanLogLikelihood(probs: Float32Array, labels: Int32Array, numClasses: number): number {
  if (!labels.length) return 0;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += Math.log(Math.max(probs[i * numClasses + labels[i]], PROB_FLOOR));
  return sum / labels.length;
}

/** The score an epoch is chosen by: higher is better whichever the criterion. */
export function epochScore(by: SelectBy, probs: Float32Array, labels: Int32Array, numClasses: number, decisions: Int32Array): number {
  return by === 'loss' ? meanLogLikelihood(probs, labels, numClasses) : accuracy(decisions, labels);
}

export interface EpochChoice {
  epoch: number;
  /** The criterion's score at that epoch (accuracy, or mean log-likelihood). */
  score: number;
  /** Validation accuracy at that epoch (reported whatever the criterion). */
  accuracy: number;
}

/**
 * The best epoch so far: a higher score wins; a tie goes to the later epoch (it has seen the data
 * more often for the same held-out score). Returns whether `epoch` became the best.
 */
export function better(best: EpochChoice | null, next: EpochChoice): boolean {
  return best == null || next.score >= best.score;
}

/** Early stopping: `patience` epochs since the best one (0 = never stop early). */
export function patienceSpent(best: EpochChoice | null, epochsDone: number, patience: number): boolean {
  return patience > 0 && best != null && epochsDone - best.epoch >= patience;
}
