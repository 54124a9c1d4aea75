import { z } from 'zod';
import { LANES } from './batcher.ts';

/** Texts per request and characters per text accepted by the predict API. */
export const MAX_TEXTS = 1000;
export const MAX_TEXT_CHARS = 10_000;

export const predictRequestSchema = z.object({
  texts: z.array(z.string().max(MAX_TEXT_CHARS)).min(1).max(MAX_TEXTS),
  /** Priority lane: `high` requests are batched first when the server is busy. Default `normal`. */
  priority: z.enum(LANES).optional(),
});

export const multiPredictRequestSchema = z.object({
  /** Phases by `taskSlug/phaseKey` (or numeric id), each scored with its own live model. */
  phases: z.array(z.string().min(1)).min(1).max(20),
  texts: predictRequestSchema.shape.texts,
  priority: predictRequestSchema.shape.priority,
});

export const predictionSchema = z.object({
  label: z.string(),
  probs: z.record(z.string(), z.number()),
  modelVersion: z.string(),
});

export const predictResponseSchema = z.object({
  phaseId: z.number().int(),
  modelVersion: z.string(),
  servedBy: z.enum(['live', 'canary']),
  results: z.array(predictionSchema),
});
