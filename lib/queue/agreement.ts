/**
 * Agreement and conflicts of a phase's overlapped items, from the database. The statistics are
 * pure (./kappa.ts); this module feeds them the phase's non-undone label answers.
 */
import type { Db } from '../db/client.ts';
import { summarizeAgreement, type AgreementSummary, type Rating } from './kappa.ts';

export { adjudicate } from './annotate.ts';
export { cohenKappa, fleissKappa, summarizeAgreement, type AgreementSummary, type Rating } from './kappa.ts';

async function labelAnswers(db: Db, phaseId: number) {
  return db.annotation.findMany({
    where: { phaseId, undoneAt: null, action: 'label' },
    select: { itemId: true, userId: true, label: true, createdAt: true },
    orderBy: { id: 'asc' },
  });
}

async function emails(db: Db, ids: number[]): Promise<Map<number, string>> {
  const users = await db.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, email: true } });
  return new Map(users.map((u) => [u.id, u.email]));
}

export async function agreement(db: Db, phaseId: number): Promise<AgreementSummary> {
  const answers = await labelAnswers(db, phaseId);
  const email = await emails(db, answers.map((a) => a.userId));
  const ratings: Rating[] = answers.map((a) => ({ itemId: a.itemId, annotator: email.get(a.userId) ?? `user ${a.userId}`, label: a.label! }));
  return summarizeAgreement(ratings);
}

export interface Conflict {
  itemId: number;
  externalId: string | null;
  text: string;
  answers: { userId: number; email: string; label: string; createdAt: string }[];
}

/** Overlapped items whose annotators gave different labels and that no lead has adjudicated yet. */
export async function conflicts(db: Db, phaseId: number, limit = 200): Promise<{ conflicts: Conflict[]; total: number }> {
  const answers = await labelAnswers(db, phaseId);
  const byItem = new Map<number, typeof answers>();
  for (const a of answers) {
    let list = byItem.get(a.itemId);
    if (!list) byItem.set(a.itemId, (list = []));
    list.push(a);
  }
  const disputed = [...byItem.entries()].filter(([, list]) => new Set(list.map((a) => a.label)).size > 1).map(([id]) => id);
  const adjudicated = new Set(
    (await db.humanLabel.findMany({ where: { phaseId, source: 'adjudication', itemId: { in: disputed } }, select: { itemId: true } })).map((h) => h.itemId),
  );
  const open = disputed.filter((id) => !adjudicated.has(id)).sort((a, b) => a - b);
  const page = open.slice(0, limit);
  const [items, email] = await Promise.all([
    db.item.findMany({ where: { id: { in: page } }, select: { id: true, externalId: true, text: true } }),
    emails(db, page.flatMap((id) => byItem.get(id)!.map((a) => a.userId))),
  ]);
  const item = new Map(items.map((i) => [i.id, i]));
  return {
    total: open.length,
    conflicts: page.map((id) => ({
      itemId: id,
      externalId: item.get(id)?.externalId ?? null,
      text: item.get(id)?.text ?? '',
      answers: byItem.get(id)!.map((a) => ({ userId: a.userId, email: email.get(a.userId) ?? `user ${a.userId}`, label: a.label!, createdAt: a.createdAt.toISOString() })),
    })),
  };
}
