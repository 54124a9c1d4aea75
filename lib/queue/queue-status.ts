import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { dbNow, placeholders, providerOf, toDate } from '../db/sql.ts';
import { QUEUE_REBUILD_JOB } from './rebuild-job.ts';
import { explainEmptyQueue, type EmptyState, type QueueFacts } from './empty-state.ts';
import { queueState } from './open-count.ts';

/** What explainEmptyQueue needs to know about the phase's queue, as seen by one annotator. */
export async function queueFacts(db: Db, phaseId: number, userId: number): Promise<QueueFacts> {
  const provider = providerOf(db);
  const sql = (q: string) => placeholders(provider, q);
  const phase = await db.phase.findUnique({ where: { id: phaseId }, select: { id: true, overlap: true, relabelTrusted: true, dependsOnPhaseId: true, dependsOnLabel: true } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const num = (rows: { n: unknown }[]) => Number(rows[0]?.n ?? 0);
  const now = dbNow(provider);
  const [items, trainItems, teacherOutputs, trusted, state, job, earlier, leased, mine] = await Promise.all([
    db.item.count({ where: { phaseId } }),
    db.item.count({ where: { phaseId, split: 'train' } }),
    db.$queryRawUnsafe<{ n: unknown }[]>(
      sql(`SELECT COUNT(DISTINCT tp."itemId") AS n FROM "TeacherPrediction" tp JOIN "Teacher" t ON t."id" = tp."teacherId" JOIN "Item" i ON i."id" = tp."itemId" WHERE t."phaseId" = $1 AND i."split" = 'train'`),
      phaseId,
    ).then(num),
    db.$queryRawUnsafe<{ n: unknown }[]>(
      sql(`SELECT COUNT(*) AS n FROM "Item" i WHERE i."phaseId" = $1 AND i."split" = 'train'
           AND (i."goldLabel" IS NOT NULL OR EXISTS (SELECT 1 FROM "HumanLabel" h WHERE h."phaseId" = $1 AND h."itemId" = i."id" AND h."source" = 'adjudication'))`),
      phaseId,
    ).then(num),
    queueState(db, phaseId),
    // A running rebuild has given up its dedupe key (rebuild-job.ts): find it by its payload.
    db.job.findFirst({ where: { type: QUEUE_REBUILD_JOB, status: { in: ['queued', 'running'] }, payload: JSON.stringify({ phaseId }) }, orderBy: { id: 'asc' } }),
    phase.dependsOnPhaseId != null ? db.phase.findUnique({ where: { id: phase.dependsOnPhaseId }, select: { id: true, name: true } }) : null,
    db.$queryRawUnsafe<{ n: unknown; next: unknown }[]>(
      sql(`SELECT COUNT(DISTINCT l."itemId") AS n, MIN(l."expiresAt") AS next FROM "AnnotationLease" l JOIN "QueueEntry" q ON q."phaseId" = l."phaseId" AND q."itemId" = l."itemId"
           WHERE l."phaseId" = $1 AND l."userId" <> $2 AND l."expiresAt" > ${now} AND q."done" = false
             AND NOT EXISTS (SELECT 1 FROM "Annotation" a WHERE a."phaseId" = l."phaseId" AND a."itemId" = l."itemId" AND a."userId" = $2 AND a."undoneAt" IS NULL)`),
      phaseId,
      userId,
    ),
    db.$queryRawUnsafe<{ skip: unknown; n: unknown }[]>(
      sql(`SELECT CASE WHEN a."action" = 'skip' THEN 1 ELSE 0 END AS skip, COUNT(*) AS n FROM "QueueEntry" q
           JOIN "Annotation" a ON a."phaseId" = q."phaseId" AND a."itemId" = q."itemId" AND a."userId" = $2 AND a."undoneAt" IS NULL
           WHERE q."phaseId" = $1 AND q."done" = false GROUP BY CASE WHEN a."action" = 'skip' THEN 1 ELSE 0 END`),
      phaseId,
      userId,
    ),
  ]);
  const mineBy = (skip: number) => Number(mine.find((r) => Number(r.skip) === skip)?.n ?? 0);
  return {
    items,
    trainItems,
    teacherOutputs,
    built: state != null,
    queued: state?.total ?? 0,
    open: state?.open ?? 0,
    rebuild: job ? { jobId: job.id, status: job.status as 'queued' | 'running', since: (job.startedAt ?? job.createdAt).toISOString() } : null,
    studentModelId: state?.modelId ?? null,
    trusted,
    relabelTrusted: phase.relabelTrusted,
    dependsOn: earlier && phase.dependsOnLabel ? { phaseId: earlier.id, phaseName: earlier.name, label: phase.dependsOnLabel } : null,
    leasedToOthers: Number(leased[0]?.n ?? 0),
    nextLeaseEnd: leased[0]?.next == null ? null : toDate(leased[0].next)!.toISOString(),
    answeredByMe: mineBy(0),
    skippedByMe: mineBy(1),
    overlap: phase.overlap,
  };
}

/** The queue's state for one annotator: the facts and, when nothing can be handed out, why (with a lead's actions). */
export async function queueStatus(db: Db, input: { phaseId: number; userId: number; lead: boolean }): Promise<{ facts: QueueFacts; state: EmptyState }> {
  const facts = await queueFacts(db, input.phaseId, input.userId);
  return { facts, state: explainEmptyQueue(facts, { lead: input.lead }) };
}
