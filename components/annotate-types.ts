/** Shapes of the annotation API (GET /api/phases/:id/queue/next, POST …/annotations, …/undo). */
export interface QueueItem {
  itemId: number;
  text: string;
  leaseExpiresAt: string;
  teacher: { probs: number[]; label: string } | null;
  student: { probs: number[]; label: string; modelId: number } | null;
  score: { js: number; kl: number; flip: boolean; margin: number; loss: number } | null;
}

export interface QueueBatch {
  labels: string[];
  items: QueueItem[];
  remaining: number;
}

export type AnswerAction = 'label' | 'skip' | 'flag';

export interface AnnotationAck {
  annotation: { id: number; itemId: number; action: AnswerAction; label: string | null; createdAt: string };
  duplicate: boolean;
}

export interface UndoResult {
  item: QueueItem;
  undone: { id: number; action: AnswerAction; label: string | null };
}

export interface MyCounts {
  total: number;
  labelled: number;
  skipped: number;
  flagged: number;
  today: number;
}

export type { AgreementSummary as Agreement, PairAgreement as AgreementPair } from '@/lib/queue/kappa.ts';

export interface Conflict {
  itemId: number;
  externalId: string | null;
  text: string;
  answers: { userId: number; email: string; label: string; createdAt: string }[];
}
