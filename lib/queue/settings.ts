/**
 * A phase's queue settings (overlap k, ranking strategy, class quotas), changed by a lead, and
 * when rounds start by themselves (autoRoundAfterLabels, lib/rounds/auto.ts). A change of the
 * queue's settings re-ranks the queue when one has been built, so the new order applies at once.
 */
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { badRequest, notFound } from '../errors.ts';
import { parseLabels } from '../tasks/phase.ts';
import { audit, type Actor } from '../audit.ts';
import { QUEUE_STRATEGIES } from './rank.ts';
import { rebuildQueue, type RebuildResult } from './rebuild.ts';

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

export async function updateQueueSettings(db: Db, phaseId: number, input: unknown, by: Actor = null): Promise<{ phase: QueueSettings; rebuilt: RebuildResult | null }> {
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
  const rebuilt = built && RANKING_KEYS.some((k) => patch[k] !== undefined) ? await rebuildQueue(db, phaseId) : null;
  await audit(db, by, 'phase.queue_settings', `phase:${phaseId}`, input);
  return {
    phase: { phaseId, overlap: updated.overlap, queueStrategy: updated.queueStrategy, classQuotas: updated.classQuotas ? JSON.parse(updated.classQuotas) : null, auditShare: updated.auditShare, relabelTrusted: updated.relabelTrusted, autoRoundAfterLabels: updated.autoRoundAfterLabels },
    rebuilt,
  };
}

/** The phase's queue settings and state: what the lead's settings form and the annotation page show. */
export async function queueSettings(db: Db, phaseId: number) {
  const phase = await db.phase.findUnique({ where: { id: phaseId }, select: { overlap: true, queueStrategy: true, classQuotas: true, auditShare: true, relabelTrusted: true, autoRoundAfterLabels: true } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  const state = await db.queueState.findUnique({ where: { phaseId } });
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
