import type { Db } from '../db/client.ts';
import { conflict, notFound } from '../errors.ts';
import { taskSpecSchema, type TaskSpec } from './spec.ts';
import { parseLabels } from './phase.ts';
import { audit, type Actor } from '../audit.ts';

export interface PhaseView {
  id: number;
  key: string;
  name: string;
  position: number;
  labels: string[];
  threshold: number | null;
  positiveLabel: string | null;
  dependsOn: { phaseId: number; phaseKey: string; label: string } | null;
  testFraction: number;
  overlap: number;
  minTextLength: number;
}

export interface PhaseStats {
  items: number;
  train: number;
  test: number;
  gold: number;
  humanLabels: number;
  teachers: { id: number; name: string; version: string; predictions: number }[];
}

type PhaseRow = {
  id: number;
  key: string;
  name: string;
  position: number;
  labels: string;
  threshold: number | null;
  positiveLabel: string | null;
  dependsOnPhaseId: number | null;
  dependsOnLabel: string | null;
  testFraction: number;
  overlap: number;
  minTextLength: number;
};

export function phaseView(p: PhaseRow, all: PhaseRow[]): PhaseView {
  const parent = p.dependsOnPhaseId ? all.find((x) => x.id === p.dependsOnPhaseId) : undefined;
  return {
    id: p.id,
    key: p.key,
    name: p.name,
    position: p.position,
    labels: parseLabels(p.labels),
    threshold: p.threshold,
    positiveLabel: p.positiveLabel,
    dependsOn: p.dependsOnPhaseId && p.dependsOnLabel ? { phaseId: p.dependsOnPhaseId, phaseKey: parent?.key ?? '?', label: p.dependsOnLabel } : null,
    testFraction: p.testFraction,
    overlap: p.overlap,
    minTextLength: p.minTextLength,
  };
}

/** Creates a task and its phases from a spec (JSON from the UI, the API or `cli task create`). */
export async function createTask(db: Db, input: TaskSpec, by: Actor = null) {
  const spec = taskSpecSchema.parse(input);
  if (await db.task.findUnique({ where: { slug: spec.slug } })) throw conflict(`a task with slug "${spec.slug}" already exists`);
  const created = await db.$transaction(async (tx) => {
    const task = await tx.task.create({ data: { slug: spec.slug, name: spec.name, description: spec.description } });
    const ids = new Map<string, number>();
    for (const [position, p] of spec.phases.entries()) {
      const phase = await tx.phase.create({
        data: {
          taskId: task.id,
          key: p.key,
          name: p.name,
          position,
          labels: JSON.stringify(p.labels),
          threshold: p.threshold ?? null,
          positiveLabel: p.labels.length === 2 ? (p.positiveLabel ?? p.labels[1]) : null,
          dependsOnPhaseId: p.dependsOn ? ids.get(p.dependsOn.phase)! : null,
          dependsOnLabel: p.dependsOn?.label ?? null,
          testFraction: p.testFraction,
          overlap: p.overlap,
          minTextLength: p.minTextLength,
          queueStrategy: p.queueStrategy,
          auditShare: p.auditShare,
          relabelTrusted: p.relabelTrusted,
        },
      });
      ids.set(p.key, phase.id);
    }
    return task;
  });
  await audit(db, by, 'task.create', `task:${created.id}`, { slug: created.slug });
  return created;
}

export async function phaseStats(db: Db, phaseId: number): Promise<PhaseStats> {
  const [splits, gold, humanLabels, teachers] = await Promise.all([
    db.item.groupBy({ by: ['split'], where: { phaseId }, _count: { _all: true } }),
    db.item.count({ where: { phaseId, goldLabel: { not: null } } }),
    db.humanLabel.count({ where: { phaseId } }),
    db.teacher.findMany({ where: { phaseId }, orderBy: { id: 'asc' }, include: { _count: { select: { predictions: true } } } }),
  ]);
  const by = Object.fromEntries(splits.map((s) => [s.split, s._count._all]));
  return {
    items: splits.reduce((a, s) => a + s._count._all, 0),
    train: by.train ?? 0,
    test: by.test ?? 0,
    gold,
    humanLabels,
    teachers: teachers.map((t) => ({ id: t.id, name: t.name, version: t.version, predictions: t._count.predictions })),
  };
}

export async function listTasks(db: Db) {
  const tasks = await db.task.findMany({ orderBy: { id: 'asc' }, include: { phases: { orderBy: { position: 'asc' } } } });
  return Promise.all(
    tasks.map(async (t) => ({
      id: t.id,
      slug: t.slug,
      name: t.name,
      description: t.description,
      createdAt: t.createdAt,
      phases: await Promise.all(t.phases.map(async (p) => ({ ...phaseView(p, t.phases), stats: await phaseStats(db, p.id) }))),
    })),
  );
}

export async function getTask(db: Db, idOrSlug: number | string) {
  const task = await db.task.findFirst({
    where: typeof idOrSlug === 'number' ? { id: idOrSlug } : { slug: idOrSlug },
    include: { phases: { orderBy: { position: 'asc' } } },
  });
  if (!task) throw notFound(`task ${idOrSlug}`);
  return {
    id: task.id,
    slug: task.slug,
    name: task.name,
    description: task.description,
    createdAt: task.createdAt,
    phases: await Promise.all(task.phases.map(async (p) => ({ ...phaseView(p, task.phases), stats: await phaseStats(db, p.id) }))),
  };
}

export async function getPhase(db: Db, phaseId: number): Promise<PhaseView & { taskId: number; taskSlug: string; taskName: string }> {
  const phase = await db.phase.findUnique({ where: { id: phaseId }, include: { task: { include: { phases: true } } } });
  if (!phase) throw notFound(`phase ${phaseId}`);
  return { ...phaseView(phase, phase.task.phases), taskId: phase.taskId, taskSlug: phase.task.slug, taskName: phase.task.name };
}

export async function listItems(db: Db, phaseId: number, opts: { split?: 'train' | 'test'; limit?: number; afterId?: number } = {}) {
  await getPhase(db, phaseId);
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 1000);
  const items = await db.item.findMany({
    where: { phaseId, split: opts.split, id: opts.afterId ? { gt: opts.afterId } : undefined },
    orderBy: { id: 'asc' },
    take: limit,
    select: { id: true, externalId: true, text: true, timeKey: true, ordinal: true, split: true, goldLabel: true },
  });
  return { items, nextAfterId: items.length === limit ? items[items.length - 1].id : null };
}
