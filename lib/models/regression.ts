import type { Db } from '../db/client.ts';

/**
 * Whether a student's stored metrics mark its round as a regression (the guard in
 * lib/rounds/run.ts): such a student neither ranks the queue nor is fine-tuned by the next round.
 */
export function isRegression(metrics: string | null): boolean {
  if (!metrics) return false;
  try {
    return Boolean((JSON.parse(metrics) as { regression?: { flagged?: boolean } }).regression?.flagged);
  } catch {
    return false;
  }
}

/**
 * The phase's good students, newest first: neither rejected nor flagged as a regression, from
 * rounds before `beforeRoundId` when given (the last 10 looked at). The queue ranks by the first
 * that has scores; a round fine-tunes, samples by and compares itself with these.
 */
export async function goodStudents(db: Db, phaseId: number, beforeRoundId?: number) {
  const models = await db.studentModel.findMany({
    where: { phaseId, status: { not: 'rejected' }, ...(beforeRoundId != null ? { roundId: { lt: beforeRoundId } } : {}) },
    orderBy: { id: 'desc' },
    take: 10,
    include: { round: { select: { number: true } } },
  });
  return models.filter((m) => !isRegression(m.metrics));
}
