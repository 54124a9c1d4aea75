/**
 * Shapes of the annotation API as the browser sees them: the queue's own types from lib/queue
 * (type-only imports, nothing server-side reaches the bundle), with dates as strings.
 */
import type { WireResult } from '@/components/api';
import type { AnnotationAction, QueueItem, NextBatch, MyCounts, submit, undo } from '@/lib/queue/annotate.ts';
import type { Conflict, conflicts } from '@/lib/queue/agreement.ts';

export type { QueueItem, MyCounts, Conflict };
export type { AgreementSummary as Agreement, PairAgreement as AgreementPair } from '@/lib/queue/kappa.ts';
export type QueueBatch = NextBatch;

export type AnswerAction = AnnotationAction;
export type AnnotationAck = WireResult<typeof submit>;
export type UndoResult = WireResult<typeof undo>;
export type ConflictList = WireResult<typeof conflicts>;
