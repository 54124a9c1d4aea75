import type { QueueItem } from './types';

type Score = NonNullable<QueueItem['score']>;

/**
 * The disagreement scores in plain words, for annotators (leads also see JS / KL / margin / loss).
 * JS divergence is at most ln 2 ≈ 0.69; below 0.05 the two distributions nearly coincide.
 */
export function scoreInWords(sc: Score | null, teacherProbs?: readonly number[] | null): string {
  if (!sc) {
    // Before any round the queue serves what the teacher is least sure about: say so.
    const top = [...(teacherProbs ?? [])].sort((a, b) => b - a);
    if (top.length >= 2 && top[0] - top[1] < 0.3) return `Only the teacher model has scored this item so far, and it is unsure (${Math.round(top[0] * 100)}% against ${Math.round(top[1] * 100)}%). Choose what the text says.`;
    return 'Only the teacher model has scored this item so far.';
  }
  const how = sc.js >= 0.2 ? 'strongly' : sc.js >= 0.05 ? 'somewhat' : 'barely';
  const parts = [sc.flip ? `The two models pick different labels and disagree ${how}` : `The two models pick the same label and disagree ${how} on how sure they are`];
  if (sc.margin < 0.2) parts.push('the student model is unsure');
  return `${parts.join('; ')}. Neither is necessarily right: choose what the text says.`;
}

/** One sentence on what the scores mean (the `title` of the plain-words line). */
export const SCORE_HELP = 'This item was shown to you because a small "student" model and the large "teacher" model it learns from disagree about it, or the student is unsure. Your label teaches both where they are wrong.';
