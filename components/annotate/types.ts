/**
 * Shapes of the annotation API as the browser sees them: the queue's own types from lib/queue
 * (type-only imports, nothing server-side reaches the bundle), with dates as strings.
 */
import type { WireResult } from '@/components/api';
import type { AnnotationAction, QueueItem, NextBatch, MyCounts, submit, undo } from '@/lib/queue/annotate.ts';
import type { Conflict, conflicts } from '@/lib/queue/agreement.ts';
import type { changeAnswer } from '@/lib/queue/change-answer.ts';
import type { RecentAnswer } from '@/lib/queue/recent-answers.ts';
import type { queueStatus } from '@/lib/queue/queue-status.ts';
import type { LeadAction } from '@/lib/queue/empty-state.ts';
import type { FlaggedItem, listFlags, resolveFlag } from '@/lib/queue/flags.ts';
import type { AnnotatorCounts } from '@/lib/queue/annotators.ts';

export type { QueueItem, MyCounts, Conflict };
export type { AgreementSummary as Agreement, PairAgreement as AgreementPair } from '@/lib/queue/kappa.ts';
export type QueueBatch = NextBatch;

export type AnswerAction = AnnotationAction;
export type AnnotationAck = WireResult<typeof submit>;
export type UndoResult = WireResult<typeof undo>;
export type ConflictList = WireResult<typeof conflicts>;
export type ChangeResult = WireResult<typeof changeAnswer>;
export type { RecentAnswer, LeadAction, FlaggedItem, AnnotatorCounts };
export type QueueStatus = WireResult<typeof queueStatus>;
export type FlagList = WireResult<typeof listFlags>;
export type FlagOutcome = WireResult<typeof resolveFlag>;
