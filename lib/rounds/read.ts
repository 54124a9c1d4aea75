/** Read models for the console's pages: rounds and the students they trained. */
import type { Db } from '../db/client.ts';

export interface ModelRow {
  id: number;
  phaseName: string;
  roundNumber: number;
  arch: string;
  status: string;
  deployed: boolean;
  createdAt: Date;
}

/** The newest trained students (up to `limit`) with their phase and round, and whether one is deployed. */
export async function listModels(db: Db, limit = 200): Promise<ModelRow[]> {
  const models = await db.studentModel.findMany({
    orderBy: { id: 'desc' },
    take: limit,
    include: { round: { include: { phase: { select: { name: true } } } }, deployments: { where: { rolledBackAt: null }, select: { id: true } } },
  });
  return models.map((m) => ({ id: m.id, phaseName: m.round.phase.name, roundNumber: m.round.number, arch: m.arch, status: m.status, deployed: m.deployments.length > 0, createdAt: m.createdAt }));
}

/** What a round's page header names: the round and its phase and task; null when there is no such round. */
export async function roundHeading(db: Db, id: number): Promise<{ id: number; number: number; phaseName: string; taskName: string } | null> {
  const r = await db.round.findUnique({ where: { id }, select: { id: true, number: true, phase: { select: { name: true, task: { select: { name: true } } } } } });
  return r && { id: r.id, number: r.number, phaseName: r.phase.name, taskName: r.phase.task.name };
}
