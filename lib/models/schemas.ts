import { z } from 'zod';

export const reviewSchema = z.object({ note: z.string().max(2000).optional() });
export const deploySchema = z.object({
  note: z.string().max(2000).optional(),
  /** live (default) answers every request; canary answers `share` of them; shadow answers none. */
  kind: z.enum(['live', 'canary', 'shadow']).optional(),
  share: z.number().gt(0).max(1).optional(),
});
export const stopSchema = z.object({ kind: z.enum(['canary', 'shadow']), note: z.string().max(2000).optional() });
export const asTeacherSchema = z.object({ weight: z.number().gt(0).max(100).default(1) });
