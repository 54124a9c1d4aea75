import { z } from 'zod';
import { getDb } from '../db/client.ts';
import { JobCancelledError, isHandOver } from '../jobs/errors.ts';
import { jobHandler } from '../jobs/handler.ts';
import { runRound } from './run.ts';

export const roundJobPayload = z.object({ roundId: z.number().int().positive() });
export type RoundJobPayload = z.infer<typeof roundJobPayload>;

/** The worker's 'round' job (on the process's database): runs the round and records a failure on the round itself. */
export const roundJob = jobHandler(roundJobPayload, async (job, ctx) => {
  const db = await getDb();
  const roundId = job.payload.roundId;
  try {
    const { modelId, metrics } = await runRound(db, roundId, { signal: ctx.signal, heartbeat: (p) => ctx.heartbeat(p), log: (m) => ctx.log(m) });
    return { roundId, modelId, macroF1VsTeacher: metrics.vsTeacher?.macroF1 ?? null };
  } catch (e) {
    const reason: unknown = ctx.signal.aborted ? ctx.signal.reason : null;
    const message = (e as Error).message ?? String(e);
    const final = reason instanceof JobCancelledError ? 'cancelled' : job.attempts >= job.maxAttempts ? 'failed' : 'running';
    // A stopping worker or a lost lease hands the round to another worker: keep it running.
    if (!isHandOver(reason)) {
      await db.round.update({ where: { id: roundId }, data: { status: final, error: message, ...(final !== 'running' ? { finishedAt: new Date() } : {}) } }).catch(() => {});
    }
    throw e;
  }
});
