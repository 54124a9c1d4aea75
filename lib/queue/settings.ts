/**
 * A phase's queue settings (overlap k, ranking strategy, class quotas), changed by a lead, and
 * when rounds start by themselves (autoRoundAfterLabels, lib/rounds/auto.ts). A change of the
 * queue's ranking settings re-ranks the queue when one has been built: as a `queue.rebuild` job
 * that a worker runs (ranking a large pool in a web request would block the server for seconds),
 * or in this process when the caller is one that may block (the CLI).
 */
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { badRequest, notFound } from '../errors.ts';
import { parseLabels } from '../tasks/phase.ts';
import { audit, type Actor } from '../audit.ts';
import { QUEUE_STRATEGIES } from './rank.ts';
import { rebuildQueue, type RebuildResult } from './rebuild.ts';
import { awaitRebuild, enqueueQueueRebuild } from './rebuild-job.ts';
import { queueState } from './open-count.ts';

export const queueSettingsSchema = z
  .object({
    overlap: z.number().int().min(1).max(10).optional(),
    queueStrategy: z.enum(QUEUE_STRATEGIES).optional(),
    classQuotas: z.record(z.string(), z.number().min(0)).nullable().optional(),
    auditShare: z.number().min(0).max(0.5).optional(),
    relabelTrusted: z.boolean().optional(),
    /** Start a round once this many human labels arrived since the last one started; null = off. */
    autoRoundAfterLabels: z.number().int().min(1).max(1_000_000).nullable().optional(),
  })
  .strict();

/** The settings that change how the queue is ranked (a change rebuilds it). */
const RANKING_KEYS = ['overlap', 'queueStrategy', 'classQuotas', 'auditShare', 'relabelTrusted'] as const;

export type QueueSettingsInput = z.infer<typeof queueSettingsSchema>;

export interface QueueSettings {
  phaseId: number;
  overlap: number;
  queueStrategy: string;
  classQuotas: Record<string, number> | null;
  auditShare: number;
  relabelTrusted: boolean;
  autoRoundAfterLabels: number | null;
}

export interface QueueSettingsUpdate {
  phase: QueueSettings;
  /** The re-ranked queue, when it was rebuilt in this process (`rebuild: 'now'`). */
  rebuilt: RebuildResult | null;
  /** The rebuild job enqueued for a worker (`rebuild: 'job'`, the default), when the ranking changed. */
  rebuildJob: { id: number; type: string; status: string } | null;
}

/**
 * `rebuild`: 'job' (default) enqueues the re-ranking for a worker and waits for it up to `waitS`
 * seconds (default 0: not at all), polling; 'now' re-ranks in this process.
 */
export async function updateQueueSettings(db: Db, phaseId: number, input: unknown, by: Actor = null, opts: { rebuild?: 'job' | 'now'; waitS?: number } = {}): Promise<QueueSettingsUpdate> {
  const patch = queueSettingsSchema.parse(input);
  const phase = await db.phase.findUnique({ where: { id: phaseId } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const labels = parseLabels(phase.labels);
  const unknown = Object.keys(patch.classQuotas ?? {}).filter((l) => !labels.includes(l));
  if (unknown.length) throw badRequest(`classQuotas names labels this phase does not have: ${unknown.join(', ')}`);
  const updated = await db.phase.update({
    where: { id: phaseId },
    data: {
      ...(patch.overlap !== undefined ? { overlap: patch.overlap } : {}),
      ...(patch.queueStrategy !== undefined ? { queueStrategy: patch.queueStrategy } : {}),
      ...(patch.classQuotas !== undefined ? { classQuotas: patch.classQuotas === null ? null : JSON.stringify(patch.classQuotas) } : {}),
      ...(patch.auditShare !== undefined ? { auditShare: patch.auditShare } : {}),
      ...(patch.relabelTrusted !== undefined ? { relabelTrusted: patch.relabelTrusted } : {}),
      ...(patch.autoRoundAfterLabels !== undefined ? { autoRoundAfterLabels: patch.autoRoundAfterLabels } : {}),
    },
  });
  const built = await db.queueState.findUnique({ where: { phaseId } });
  const reranks = built != null && RANKING_KEYS.some((k) => patch[k] !== undefined);
  let rebuilt = reranks && opts.rebuild === 'now' ? await rebuildQueue(db, phaseId) : null;
  let job = reranks && opts.rebuild !== 'now' ? await enqueueQueueRebuild(db, phaseId, by, { audit: false }) : null;
  await audit(db, by, 'phase.queue_settings', `phase:${phaseId}`, { ...patch, ...(job ? { rebuildJob: job.id } : {}) });
  if (job && opts.waitS) ({ job, rebuilt } = await awaitRebuild(db, job, opts.waitS));
  return {
    rebuildJob: job ? { id: job.id, type: job.type, status: job.status } : null,
    phase: { phaseId, overlap: updated.overlap, queueStrategy: updated.queueStrategy, classQuotas: updated.classQuotas ? JSON.parse(updated.classQuotas) : null, auditShare: updated.auditShare, relabelTrusted: updated.relabelTrusted, autoRoundAfterLabels: updated.autoRoundAfterLabels },
    rebuilt,
  };
}

/** The phase's queue settings and state: what the lead's settings form and the annotation page show. */
export async function queueSettings(db: Db, phaseId: number) {
  const phase = await db.phase.findUnique({ where: { id: phaseId }, select: { overlap: true, queueStrategy: true, classQuotas: true, auditShare: true, relabelTrusted: true, autoRoundAfterLabels: true } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const state = await queueState(db, phaseId);
  return {
    phaseId,
    overlap: phase.overlap,
    queueStrategy: phase.queueStrategy,
    classQuotas: phase.classQuotas ? (JSON.parse(phase.classQuotas) as Record<string, number>) : null,
    auditShare: phase.auditShare,
    relabelTrusted: phase.relabelTrusted,
    autoRoundAfterLabels: phase.autoRoundAfterLabels,
    built: state ? { modelId: state.modelId, strategy: state.strategy, open: state.open, total: state.total, builtAt: state.builtAt.toISOString() } : null,
  };
}
