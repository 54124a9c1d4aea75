/**
 * Automatic rounds: a phase may ask for a round once N new human labels have arrived since its
 * last round started (Phase.autoRoundAfterLabels; null = off). The check runs in the worker, on a
 * timer (`autoRoundTask`), never in a request: answering an item costs what it did. It starts
 * the round with the config of the phase's last successful round (the lead's last choices), or
 * the defaults.
 */
import type { Db } from '../db/client.ts';
import { DomainError, fromPrismaError } from '../errors.ts';
import { isFinal } from '../jobs/queue.ts';
import { parseRoundConfig } from './config.ts';
import { getRound, startRound, type RoundView } from './rounds.ts';

/**
 * Human labels (annotators' settled labels and adjudications, not imported gold) set since the
 * phase's last round started: those that round did not train on. After a failed or cancelled
 * round, counted from when it ended, so a lead's cancel is not undone by the next check.
 */
export async function newHumanLabels(db: Db, phaseId: number, last?: RoundView | null): Promise<{ count: number; since: Date | null }> {
  if (last === undefined) last = await lastRound(db, phaseId);
  const since = !last ? null : (last.status === 'failed' || last.status === 'cancelled') && last.finishedAt ? last.finishedAt : last.createdAt;
  const count = await db.humanLabel.count({ where: { phaseId, ...(since ? { updatedAt: { gt: since } } : {}) } });
  return { count, since };
}

/** The phase's newest round, its status read through its job (a round whose job ended is not running). */
async function lastRound(db: Db, phaseId: number): Promise<RoundView | null> {
  const row = await db.round.findFirst({ where: { phaseId }, orderBy: { number: 'desc' }, select: { id: true } });
  return row ? getRound(db, row.id) : null;
}

export interface AutoRoundCheck {
  phaseId: number;
  threshold: number;
  newLabels: number;
  started: RoundView | null;
  /** Why no round started. */
  skipped?: string;
}

/** One pass over the phases that ask for automatic rounds: starts those that are due. */
export async function autoRoundSweep(db: Db): Promise<AutoRoundCheck[]> {
  const phases = await db.phase.findMany({ where: { autoRoundAfterLabels: { not: null } }, select: { id: true, autoRoundAfterLabels: true } });
  const out: AutoRoundCheck[] = [];
  for (const p of phases) {
    const threshold = p.autoRoundAfterLabels!;
    const last = await lastRound(db, p.id);
    const { count } = await newHumanLabels(db, p.id, last);
    const check: AutoRoundCheck = { phaseId: p.id, threshold, newLabels: count, started: null };
    out.push(check);
    if (count < threshold) {
      check.skipped = `${count} of ${threshold} new human labels`;
      continue;
    }
    // Only the newest round can still run; while it does, no round may start (startRound would refuse)
    // and the config to repeat is not settled. A round whose job ended is startRound's to tidy up.
    if (last && (last.status === 'queued' || last.status === 'running') && !(last.job && isFinal(last.job.status))) {
      check.skipped = `round ${last.number} is ${last.status}`;
      continue;
    }
    const lastGood = await db.round.findFirst({ where: { phaseId: p.id, status: 'succeeded' }, orderBy: { number: 'desc' }, select: { config: true } });
    try {
      const round = await startRound(db, { phaseId: p.id, config: lastGood ? parseRoundConfig(JSON.parse(lastGood.config)) : {}, trigger: 'auto' });
      check.started = await getRound(db, round.id);
    } catch (error) {
      // A round already runs (startRound's 409), or another worker started this one a moment ago (its unique number).
      const e = fromPrismaError(error) ?? error;
      if (e instanceof DomainError && e.status === 409) check.skipped = e.message;
      else throw e;
    }
  }
  return out;
}

/** How often a worker runs the check (WORKER_AUTO_ROUND_MS, default 10 s). */
export function autoRoundCheckMs(): number {
  const v = Number(process.env.WORKER_AUTO_ROUND_MS);
  return Number.isFinite(v) && v > 0 ? v : 10_000;
}
