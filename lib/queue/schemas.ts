/**
 * The request shapes of the annotation routes that take more than an id, checked at the edge
 * (the routes parse with them; the OpenAPI document is generated from them).
 */
import { z } from 'zod';
import { ACTIONS, NOTE_MAX } from './annotate.ts';
import { FLAG_ACTIONS, FLAG_STATUSES } from './flags.ts';
import { RECENT_MAX } from './recent-answers.ts';
import { MAX_ID } from '../http/page-params.ts';

const clientId = z.string().min(1).max(200);
const note = z.string().max(NOTE_MAX).nullable();

export const submitSchema = z.object({
  itemId: z.number().int().positive().max(MAX_ID),
  clientId,
  action: z.enum(ACTIONS),
  label: z.string().nullable().optional(),
  shown: z.unknown().optional(),
  note: note.optional(),
});

export const undoSchema = z.object({
  /** The client's id for this undo: a retry with the same id undoes nothing more. */
  opId: z.string().min(1).max(200).optional(),
  /** The client id of the answer to take back (default: the caller's last answer). */
  answerClientId: clientId.optional(),
});

export const changeAnswerSchema = z.object({
  /** The client id the answer was submitted with. */
  clientId,
  action: z.enum(ACTIONS),
  label: z.string().nullable().optional(),
  /** Omitted: keep the note; null or '': remove it. */
  note: note.optional(),
  /** The answer's revision the change starts from (0 for an answer never changed). */
  revision: z.number().int().min(0),
});

export const resolveFlagSchema = z.object({
  action: z.enum(FLAG_ACTIONS),
  /** With action `label`: the lead's label (a trusted label, like adjudication). */
  label: z.string().min(1).optional(),
});

/** Query strings: `?tzOffset=` is the browser's getTimezoneOffset() in minutes (for "today"). */
export const tzQuerySchema = z.object({ tzOffset: z.coerce.number().int().min(-960).max(960).optional() });
export const recentQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(RECENT_MAX).optional() });
export const flagsQuerySchema = z.object({ status: z.enum(FLAG_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });

/** The query string as a plain object, for the schemas above. */
export const queryOf = (url: URL) => Object.fromEntries(url.searchParams);
