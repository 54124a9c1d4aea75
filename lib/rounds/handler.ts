import { getDb } from '../db/client.ts';
import { runRound } from './run.ts';

interface JobLike {
  id: number;
  attempts: number;
  maxAttempts: number;
  payload: { roundId: number };
}
interface Ctx {
  signal: AbortSignal;
  heartbeat(progress?: unknown): Promise<void>;
  log(message: string): void;
}

/** The worker's 'round' job (on the process's database): runs the round and records a failure on the round itself. */
export async function roundJob(job: JobLike, ctx: Ctx) {
  {
    const db = await getDb();
    const roundId = job.payload.roundId;
    try {
      const { modelId, metrics } = await runRound(db, roundId, { signal: ctx.signal, heartbeat: (p) => ctx.heartbeat(p), log: (m) => ctx.log(m) });
      return { roundId, modelId, macroF1VsTeacher: metrics.vsTeacher?.macroF1 ?? null };
    } catch (e) {
      const reason = ctx.signal.aborted ? (ctx.signal.reason as Error)?.name : null;
      const message = (e as Error).message ?? String(e);
      const final = reason === 'JobCancelledError' ? 'cancelled' : job.attempts >= job.maxAttempts ? 'failed' : 'running';
      // A stopping worker or a lost lease hands the round to another worker: keep it running.
      if (reason !== 'WorkerStoppingError' && reason !== 'LeaseLostError') {
        await db.round.update({ where: { id: roundId }, data: { status: final, error: message, ...(final !== 'running' ? { finishedAt: new Date() } : {}) } }).catch(() => {});
      }
      throw e;
    }
  }
}
