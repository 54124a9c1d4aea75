import type { Db } from '../db/client.ts';
import { parsePhase } from '../tasks/phase.ts';
import { servingState } from './deploy.ts';

/**
 * What the try-it page needs to run a phase's live student in the browser: the phase's labels and
 * decision rule, and the live model (its version and the student's maximum length); null when the
 * phase does not exist.
 */
export async function tryItContext(db: Db, phaseId: number) {
  const phase = await db.phase.findUnique({ where: { id: phaseId } });
  if (!phase) return null;
  const meta = parsePhase(phase);
  const live = (await servingState(db, phaseId)).live;
  const model = live ? await db.studentModel.findUnique({ where: { id: live.modelId }, select: { config: true } }) : null;
  const maxLen = model ? ((JSON.parse(model.config) as { student?: { maxLen?: number } }).student?.maxLen ?? 128) : 128;
  return { phase: { id: phase.id, name: phase.name, labels: meta.labels, threshold: meta.threshold, positiveLabel: meta.positiveLabel }, live: live ? { modelId: live.modelId, version: live.version, maxLen } : null };
}
