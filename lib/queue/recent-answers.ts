import type { Db } from '../db/client.ts';
import { badRequest } from '../errors.ts';
import { answerView, type AnswerView } from './change-answer.ts';

export interface RecentAnswer extends AnswerView {
  text: string;
  /** The item's final label when a lead set it (adjudication, or labelling a flag): it wins over any answer. */
  leadLabel: string | null;
}

export const RECENT_MAX = 100;

/** The annotator's last answers in the phase that still stand (newest first), with the item text, to look over and change. */
export async function recentAnswers(db: Db, input: { phaseId: number; userId: number; limit?: number }): Promise<RecentAnswer[]> {
  const limit = Math.trunc(input.limit ?? 20);
  if (!(limit >= 1 && limit <= RECENT_MAX)) throw badRequest(`limit must be between 1 and ${RECENT_MAX}`);
  const rows = await db.annotation.findMany({
    where: { phaseId: input.phaseId, userId: input.userId, undoneAt: null },
    orderBy: { id: 'desc' },
    take: limit,
    select: { id: true, clientId: true, itemId: true, action: true, label: true, note: true, revision: true, createdAt: true, changedAt: true, resolution: true },
  });
  const ids = rows.map((r) => r.itemId);
  const [items, lead] = await Promise.all([
    db.item.findMany({ where: { id: { in: ids } }, select: { id: true, text: true } }),
    db.humanLabel.findMany({ where: { phaseId: input.phaseId, itemId: { in: ids }, source: 'adjudication' }, select: { itemId: true, label: true } }),
  ]);
  const text = new Map(items.map((i) => [i.id, i.text]));
  const leadLabel = new Map(lead.map((h) => [h.itemId, h.label]));
  return rows.map((r) => ({ ...answerView(r), text: text.get(r.itemId) ?? '', leadLabel: leadLabel.get(r.itemId) ?? null }));
}
