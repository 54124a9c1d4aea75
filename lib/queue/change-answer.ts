/**
 * An annotator changes one of their answers (another label, skip ↔ label ↔ flag, a note for the
 * lead). Durable and idempotent like submit and undo: the change names the answer by its client id
 * and the revision it starts from. The same change sent twice (its acknowledgement was lost)
 * finds the answer already as asked and returns it with duplicate = true; a change that starts
 * from an older revision than the stored one (another tab changed it meanwhile) is refused with
 * 409 instead of silently undoing the other change.
 *
 * What the answer feeds is recomputed in the same step: the overlap count and the queue entry
 * (a skip does not count toward the overlap, a label or flag does; a change to skip can reopen the
 * item for others), and the item's human label (k agreeing labels; a lead's label is never
 * touched). A flag that stops being a flag leaves the lead's list; a new flag joins it.
 */
import type { Db } from '../db/client.ts';
import { audit } from '../audit.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { dbNow, placeholders, providerOf } from '../db/sql.ts';
import { ACTIONS, cleanNote, ensureQueueEntry, phaseTx, queuePhase, recount, settleHumanLabel, type AnnotationAction } from './annotate.ts';

export interface ChangeAnswerInput {
  phaseId: number;
  userId: number;
  /** The client id the answer was submitted with. */
  clientId: string;
  action: string;
  label?: string | null;
  /** The note for the lead; undefined keeps the stored one, null or '' removes it. */
  note?: string | null;
  /** The answer's revision the change starts from (0 for an answer never changed). */
  revision: number;
}

export interface AnswerView {
  id: number;
  clientId: string;
  itemId: number;
  action: AnnotationAction;
  label: string | null;
  note: string | null;
  revision: number;
  createdAt: string;
  changedAt: string | null;
  /** A flag's outcome once a lead acted on it: labelled | requeued | dismissed. */
  resolution: string | null;
}

type Row = { id: number; clientId: string; itemId: number; userId: number; phaseId: number; action: string; label: string | null; note: string | null; revision: number; createdAt: Date; changedAt: Date | null; undoneAt: Date | null; resolution: string | null };

export const answerView = (a: Omit<Row, 'userId' | 'phaseId' | 'undoneAt'>): AnswerView => ({
  id: a.id,
  clientId: a.clientId,
  itemId: a.itemId,
  action: a.action as AnnotationAction,
  label: a.label,
  note: a.note,
  revision: a.revision,
  createdAt: a.createdAt.toISOString(),
  changedAt: a.changedAt ? a.changedAt.toISOString() : null,
  resolution: a.resolution,
});

const SELECT = { id: true, clientId: true, itemId: true, userId: true, phaseId: true, action: true, label: true, note: true, revision: true, createdAt: true, changedAt: true, undoneAt: true, resolution: true } as const;

export async function changeAnswer(db: Db, input: ChangeAnswerInput): Promise<{ answer: AnswerView; duplicate: boolean }> {
  const { phaseId, userId } = input;
  const clientId = typeof input.clientId === 'string' ? input.clientId.trim() : '';
  if (!clientId) throw badRequest('clientId must name the answer to change');
  if (!Number.isInteger(input.revision) || input.revision < 0) throw badRequest('revision must be a whole number ≥ 0');
  if (!(ACTIONS as readonly string[]).includes(input.action)) throw badRequest(`action must be one of ${ACTIONS.join(', ')}, got "${input.action}"`);
  const phase = await queuePhase(db, phaseId);
  const action = input.action as AnnotationAction;
  const label = action === 'skip' ? null : (input.label ?? null);
  if (action === 'label' && label == null) throw badRequest('a label answer needs a label');
  if (label != null && !phase.labels.includes(label)) throw badRequest(`unknown label "${label}"; this phase's labels are ${phase.labels.join(', ')}`);

  const load = async (): Promise<Row> => {
    const row = await db.annotation.findUnique({ where: { clientId }, select: SELECT });
    if (!row || row.phaseId !== phaseId) throw notFound(`answer ${clientId} in phase ${phaseId}`);
    if (row.userId !== userId) throw conflict(`answer ${clientId} belongs to another annotator`);
    return row;
  };
  const before = await load();
  const note = input.note === undefined ? before.note : cleanNote(input.note);
  const target = { action, label, note };
  const isTarget = (r: Row) => r.action === target.action && r.label === target.label && r.note === target.note;
  /** The stored answer decides when the change cannot be applied as asked. */
  const settle = (r: Row) => {
    if (r.undoneAt) throw conflict(r.resolution === 'requeued' ? `a lead sent item ${r.itemId} back to the queue; that answer no longer stands` : `that answer on item ${r.itemId} was undone`);
    // Already as asked, from this revision or a later one: a retry (or nothing to change).
    if (isTarget(r) && r.revision >= input.revision) return { answer: answerView(r), duplicate: true };
    if (r.revision !== input.revision) throw conflict(`your answer on item ${r.itemId} was changed meanwhile (now ${describe(r)}, revision ${r.revision}); reload and change it again`, { answer: answerView(r) });
    return null;
  };
  const early = settle(before);
  if (early) return early;

  const provider = providerOf(db);
  const counts = (a: string) => a !== 'skip';
  const joins = !counts(before.action) && counts(action);
  const leaves = counts(before.action) && !counts(action);
  const changed = await phaseTx(db, provider, phaseId, async (tx) => {
    const now = dbNow(provider);
    // A skip becoming a label or flag takes an overlap place: only while one is free.
    const room = joins
      ? ` AND (SELECT COUNT(*) FROM "AnnotationLease" o WHERE o."phaseId" = $6 AND o."itemId" = $7 AND o."userId" <> $8 AND o."expiresAt" > ${now})
            + (SELECT COUNT(DISTINCT a."userId") FROM "Annotation" a WHERE a."phaseId" = $6 AND a."itemId" = $7 AND a."userId" <> $8 AND a."undoneAt" IS NULL AND a."action" <> 'skip') < $9`
      : '';
    const n = await tx.$executeRawUnsafe(
      placeholders(
        provider,
        `UPDATE "Annotation" SET "action" = $2, "label" = $3, "note" = $4, "revision" = "revision" + 1, "changedAt" = ${now},
           "resolution" = CASE WHEN "action" = $2 THEN "resolution" ELSE NULL END,
           "resolvedById" = CASE WHEN "action" = $2 THEN "resolvedById" ELSE NULL END,
           "resolvedAt" = CASE WHEN "action" = $2 THEN "resolvedAt" ELSE NULL END
         WHERE "id" = $1 AND "revision" = $5 AND "undoneAt" IS NULL${room}`,
      ),
      before.id,
      action,
      label,
      note,
      input.revision,
      ...(joins ? [phaseId, before.itemId, userId, phase.overlap] : []),
    );
    if (n !== 1) return false;
    if (leaves) await ensureQueueEntry(tx, provider, phaseId, before.itemId);
    if (joins || leaves) await recount(tx, provider, phaseId, before.itemId, phase.overlap);
    if (before.action === 'label' || action === 'label') await settleHumanLabel(tx, provider, phaseId, before.itemId, phase.overlap);
    return true;
  });
  const after = await load();
  if (!changed) {
    const again = settle(after);
    if (again) return again;
    throw conflict(`item ${before.itemId} was since answered by ${phase.overlap} other annotator${phase.overlap === 1 ? '' : 's'}; it cannot take another label`);
  }
  await audit(db, userId, 'annotation.change', `phase:${phaseId}/item:${before.itemId}`, {
    answer: before.id,
    from: { action: before.action, label: before.label },
    to: { action, label },
    ...(before.note !== note ? { note } : {}),
  });
  return { answer: answerView(after), duplicate: false };
}

const describe = (r: Pick<Row, 'action' | 'label'>) => (r.action === 'label' ? `“${r.label}”` : r.action === 'flag' ? 'flagged' : 'skipped');
