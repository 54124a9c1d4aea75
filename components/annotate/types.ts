/**
 * Shapes of the annotation API as the browser sees them: the queue's own types from lib/queue
 * (type-only imports, nothing server-side reaches the bundle), with dates as strings.
 */
import type { QueueItem, NextBatch, MyCounts } from '@/lib/queue/annotate.ts';
import type { Conflict } from '@/lib/queue/agreement.ts';

export type { QueueItem, MyCounts, Conflict };
export type { AgreementSummary as Agreement, PairAgreement as AgreementPair } from '@/lib/queue/kappa.ts';
export type QueueBatch = NextBatch;

export type AnswerAction = 'label' | 'skip' | 'flag';

export interface AnnotationAck {
  annotation: { id: number; itemId: number; action: AnswerAction; label: string | null; createdAt: string };
  duplicate: boolean;
}

export interface UndoResult {
  item: QueueItem;
  undone: { id: number; action: string; label: string | null };
}
