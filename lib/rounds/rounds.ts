import type { Db } from '../db/client.ts';
import { audit, type Actor } from '../audit.ts';
import { conflict, notFound } from '../errors.ts';
import { cancel as cancelJob, enqueue, isFinal, parseJson } from '../jobs/queue.ts';
import { getPhase } from '../tasks/tasks.ts';
import { parseRoundConfig, type RoundConfig } from './config.ts';
import type { RoundMetrics, RoundProgress } from './run.ts';

export const ROUND_JOB = 'round';

/**
 * Starts a retraining round of a phase: numbers it, stores its config and queues the job a
 * worker picks up. One round per phase runs at a time (a second click returns a 409).
 */
export async function startRound(db: Db, input: { phaseId: number; config?: unknown; userId?: number | null; trigger?: 'manual' | 'auto' }) {
  await getPhase(db, input.phaseId);
  const config = parseRoundConfig(input.config ?? {});
  const active = await db.round.findFirst({ where: { phaseId: input.phaseId, status: { in: ['queued', 'running'] } }, orderBy: { id: 'desc' } });
  if (active) {
    const job = active.jobId ? await db.job.findUnique({ where: { id: active.jobId } }) : null;
    if (!job || !isFinal(job.status)) throw conflict(`round ${active.number} of this phase is still ${active.status}; wait for it or cancel it`, { roundId: active.id });
    await db.round.update({ where: { id: active.id }, data: { status: job.status === 'cancelled' ? 'cancelled' : 'failed', error: job.error ?? active.error } });
  }
  const last = await db.round.findFirst({ where: { phaseId: input.phaseId }, orderBy: { number: 'desc' } });
  const number = (last?.number ?? -1) + 1;
  const trigger = input.trigger ?? 'manual';
  const round = await db.round.create({ data: { phaseId: input.phaseId, number, config: JSON.stringify(config), createdById: input.userId ?? null, trigger } });
  const job = await enqueue(db, { type: ROUND_JOB, payload: { roundId: round.id }, dedupeKey: `round:${round.id}`, maxAttempts: 5 });
  const started = await db.round.update({ where: { id: round.id }, data: { jobId: job.id } });
  await audit(db, input.userId ?? null, 'round.start', `round:${round.id}`, { phaseId: input.phaseId, number, trigger });
  return started;
}

export interface RoundView {
  id: number;
  phaseId: number;
  number: number;
  status: string;
  /** manual (a lead, the CLI, the demo) or auto (started by the phase's autoRoundAfterLabels). */
  trigger: string;
  backend: string | null;
  config: RoundConfig;
  progress: RoundProgress | null;
  metrics: RoundMetrics | null;
  error: string | null;
  job: { id: number; status: string; attempts: number; maxAttempts: number; leaseOwner: string | null } | null;
  modelId: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

type RoundRow = Awaited<ReturnType<Db['round']['findFirstOrThrow']>> & { models?: { id: number }[] };

async function view(db: Db, r: RoundRow): Promise<RoundView> {
  const job = r.jobId ? await db.job.findUnique({ where: { id: r.jobId } }) : null;
  // A job that ended without the handler recording it (reaped after its last attempt, cancelled
  // while queued) decides the round's status.
  let status = r.status;
  if (job && (status === 'queued' || status === 'running') && isFinal(job.status) && job.status !== 'succeeded') status = job.status;
  return {
    id: r.id,
    phaseId: r.phaseId,
    number: r.number,
    status,
    trigger: r.trigger,
    backend: r.backend,
    config: JSON.parse(r.config) as RoundConfig,
    progress: parseJson<RoundProgress>(r.progress),
    metrics: parseJson<RoundMetrics>(r.metrics),
    error: r.error ?? (job?.status === 'failed' ? job.error : null),
    job: job ? { id: job.id, status: job.status, attempts: job.attempts, maxAttempts: job.maxAttempts, leaseOwner: job.leaseOwner } : null,
    modelId: r.models?.[0]?.id ?? null,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export async function listRounds(db: Db, phaseId?: number): Promise<RoundView[]> {
  const rounds = await db.round.findMany({ where: phaseId ? { phaseId } : {}, orderBy: [{ phaseId: 'asc' }, { number: 'desc' }], include: { models: { select: { id: true } } }, take: 500 });
  return Promise.all(rounds.map((r) => view(db, r)));
}

export async function getRound(db: Db, id: number): Promise<RoundView> {
  const r = await db.round.findUnique({ where: { id }, include: { models: { select: { id: true } } } });
  if (!r) throw notFound(`round ${id}`);
  return view(db, r);
}

export async function cancelRound(db: Db, id: number, by: Actor = null): Promise<RoundView> {
  const r = await db.round.findUnique({ where: { id } });
  if (!r) throw notFound(`round ${id}`);
  if (r.jobId) {
    const job = await cancelJob(db, r.jobId);
    if (job.status === 'cancelled') await db.round.update({ where: { id }, data: { status: 'cancelled', finishedAt: new Date() } });
  }
  await audit(db, by, 'round.cancel', `round:${id}`);
  return getRound(db, id);
}
