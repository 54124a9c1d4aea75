import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { artifactStore } from '../artifacts/store.ts';
import type { RoundMetrics } from '../rounds/run.ts';
import { modelVersion, type ModelStatus } from './status.ts';

/** One student as the registry shows it: what it is, how good, how fast, where it serves. */
export interface ModelView {
  id: number;
  phaseId: number;
  phaseName: string;
  roundId: number;
  roundNumber: number;
  version: string;
  arch: string;
  status: ModelStatus;
  /** Where it serves now: live, canary (with its share) or shadow; null when it does not. */
  serving: { kind: 'live' | 'canary' | 'shadow'; share: number; deploymentId: number; since: Date } | null;
  metrics: {
    macroF1VsTeacher: number | null;
    macroF1VsHuman: number | null;
    accuracyVsHuman: number | null;
    testItems: number | null;
    trainExamples: number | null;
    humanLabelled: number | null;
    vocabSize: number | null;
    batch1P50Ms: number | null;
    itemsPerSecond: number | null;
  };
  throughput: unknown;
  reviewNote: string | null;
  approvedBy: { id: number; name: string } | null;
  approvedAt: Date | null;
  createdAt: Date;
  artifactKey: string;
  labels: string[];
}

type Row = Awaited<ReturnType<typeof loadRows>>[number];

function loadRows(db: Db, where: { id?: number; phaseId?: number }) {
  return db.studentModel.findMany({
    where,
    orderBy: { id: 'desc' },
    take: 500,
    include: { round: { include: { phase: true } }, deployments: { where: { rolledBackAt: null }, orderBy: { id: 'desc' } } },
  });
}

function toView(m: Row, approvers: Map<number, string>): ModelView {
  const metrics = m.metrics ? (JSON.parse(m.metrics) as RoundMetrics) : null;
  // Live outranks canary outranks shadow when (briefly, in a promote) a model has several.
  const d = ['live', 'canary', 'shadow'].map((k) => m.deployments.find((x) => x.kind === k)).find(Boolean);
  return {
    id: m.id,
    phaseId: m.phaseId,
    phaseName: m.round.phase.name,
    roundId: m.roundId,
    roundNumber: m.round.number,
    version: modelVersion(m.phaseId, m.round.number),
    arch: m.arch,
    status: m.status as ModelStatus,
    serving: d ? { kind: d.kind as 'live' | 'canary' | 'shadow', share: d.share, deploymentId: d.id, since: d.createdAt } : null,
    metrics: {
      macroF1VsTeacher: metrics?.vsTeacher?.macroF1 ?? null,
      macroF1VsHuman: metrics?.vsHuman?.macroF1 ?? null,
      accuracyVsHuman: metrics?.vsHuman?.accuracy ?? null,
      testItems: metrics?.testItems ?? null,
      trainExamples: metrics?.trainExamples ?? null,
      humanLabelled: metrics?.humanLabelled ?? null,
      vocabSize: metrics?.vocabSize ?? null,
      batch1P50Ms: metrics?.latency?.batch1P50Ms ?? null,
      itemsPerSecond: metrics?.scoring?.itemsPerSecond ?? null,
    },
    throughput: m.throughput ? JSON.parse(m.throughput) : null,
    reviewNote: m.reviewNote,
    approvedBy: m.approvedById ? { id: m.approvedById, name: approvers.get(m.approvedById) ?? `user ${m.approvedById}` } : null,
    approvedAt: m.approvedAt,
    createdAt: m.createdAt,
    artifactKey: m.artifactKey,
    labels: JSON.parse(m.round.phase.labels) as string[],
  };
}

async function views(db: Db, rows: Row[]): Promise<ModelView[]> {
  const ids = [...new Set(rows.map((r) => r.approvedById).filter((x): x is number => x != null))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  return rows.map((r) => toView(r, names));
}

/** The registry: every student (of one phase, or all), newest first. */
export async function listModels(db: Db, opts: { phaseId?: number } = {}): Promise<ModelView[]> {
  return views(db, await loadRows(db, opts.phaseId ? { phaseId: opts.phaseId } : {}));
}

export async function getModelOrThrow(db: Db, id: number): Promise<ModelView> {
  const rows = await loadRows(db, { id });
  if (!rows.length) throw notFound(`model ${id}`);
  return (await views(db, rows))[0];
}

/** One of the model's files from the artifact store (student.onnx, vocab.json, config.json, model-card.md). */
export async function modelFile(db: Db, model: { artifactKey: string; id: number }, file: 'student.onnx' | 'vocab.json' | 'config.json' | 'model-card.md'): Promise<Buffer> {
  const data = await artifactStore(db).get(`${model.artifactKey}/${file}`);
  if (!data) throw notFound(`${file} of model ${model.id}`);
  return data;
}

/** Who did what to a model (approve, reject, deploy, rollback, …), newest first, from the audit log. */
export async function modelHistory(db: Db, modelId: number) {
  const rows = await db.auditLog.findMany({ where: { target: `model:${modelId}` }, orderBy: { id: 'desc' }, take: 100 });
  const ids = [...new Set(rows.map((r) => r.userId).filter((x): x is number => x != null))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  return rows.map((r) => {
    const details = r.details ? (JSON.parse(r.details) as { note?: string | null }) : {};
    return { action: r.action, at: r.createdAt, by: r.userId ? (names.get(r.userId) ?? `user ${r.userId}`) : null, note: details.note ?? null, details };
  });
}
