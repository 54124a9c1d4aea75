import type { Db } from '../db/client.ts';
import { audit } from '../audit.ts';
import { conflict, badRequest, notFound } from '../errors.ts';
import { modelVersion, transition } from './status.ts';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
export type DeploymentKind = 'live' | 'canary' | 'shadow';

export interface Actor {
  id: number;
}

/** What serves a phase now: the `live` model, and optionally a canary (a share of requests) and a shadow. */
export interface ServingState {
  phaseId: number;
  live: ServingSlot | null;
  canary: ServingSlot | null;
  shadow: ServingSlot | null;
}
export interface ServingSlot {
  deploymentId: number;
  modelId: number;
  version: string;
  share: number;
  since: Date;
}

export async function servingState(db: Db | Tx, phaseId: number): Promise<ServingState> {
  const open = await db.deployment.findMany({
    where: { phaseId, rolledBackAt: null },
    orderBy: { id: 'desc' },
    include: { model: { include: { round: { select: { number: true } } } } },
  });
  const slot = (kind: DeploymentKind): ServingSlot | null => {
    const d = open.find((x) => x.kind === kind);
    return d ? { deploymentId: d.id, modelId: d.modelId, version: modelVersion(phaseId, d.model.round.number), share: d.share, since: d.createdAt } : null;
  };
  return { phaseId, live: slot('live'), canary: slot('canary'), shadow: slot('shadow') };
}

async function modelOrThrow(db: Db | Tx, modelId: number) {
  const m = await db.studentModel.findUnique({ where: { id: modelId }, include: { round: { select: { number: true } } } });
  if (!m) throw notFound(`model ${modelId}`);
  return m;
}

/**
 * Listeners told after every change of what serves a phase (the in-process serving cache). One set
 * per process, on globalThis: Next bundles each route with its own copy of lib/, and the console
 * server's predict fast path loads another, so a deploy handled by one copy must reach the
 * predict service whichever copy made it.
 */
const g = globalThis as unknown as { __distilleryServingListeners?: Set<(phaseId: number) => void> };
const listeners = (g.__distilleryServingListeners ??= new Set());
export function onServingChange(fn: (phaseId: number) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
const changed = (phaseId: number) => listeners.forEach((fn) => fn(phaseId));

export async function approveModel(db: Db, input: { modelId: number; actor: Actor; note?: string | null }) {
  const m = await modelOrThrow(db, input.modelId);
  const status = transition(m.status, 'approve');
  const note = input.note?.trim() || null;
  await db.studentModel.update({ where: { id: m.id }, data: { status, approvedById: input.actor.id, approvedAt: new Date(), reviewNote: note } });
  await audit(db, input.actor.id, 'model.approve', `model:${m.id}`, { note, version: modelVersion(m.phaseId, m.round.number) });
  return { id: m.id, status };
}

export async function rejectModel(db: Db, input: { modelId: number; actor: Actor; note?: string | null }) {
  const m = await modelOrThrow(db, input.modelId);
  const status = transition(m.status, 'reject');
  const open = await db.deployment.count({ where: { modelId: m.id, rolledBackAt: null } });
  if (open) throw conflict('this model is serving (canary or shadow); stop it before rejecting');
  const note = input.note?.trim() || null;
  await db.studentModel.update({ where: { id: m.id }, data: { status, reviewNote: note } });
  await audit(db, input.actor.id, 'model.reject', `model:${m.id}`, { note, version: modelVersion(m.phaseId, m.round.number) });
  return { id: m.id, status };
}

/** Ends the open deployment of `kind` in a phase; a live model it ends is retired. */
async function endSlot(tx: Tx, phaseId: number, kind: DeploymentKind, now: Date) {
  const open = await tx.deployment.findMany({ where: { phaseId, kind, rolledBackAt: null } });
  for (const d of open) {
    await tx.deployment.update({ where: { id: d.id }, data: { rolledBackAt: now } });
    if (kind === 'live') {
      const m = await tx.studentModel.findUniqueOrThrow({ where: { id: d.modelId } });
      if (m.status === 'deployed') await tx.studentModel.update({ where: { id: m.id }, data: { status: transition(m.status, 'retire') } });
    }
  }
  return open;
}

/**
 * Deploys an approved model. `live` (the default) switches the phase's live model in one
 * transaction: the old live row closes and the new one opens together, so a request resolves
 * to exactly one of them. `canary` answers `share` of the requests (the rest stay with live);
 * `shadow` scores live traffic without answering.
 */
export async function deployModel(db: Db, input: { modelId: number; actor: Actor; note?: string | null; kind?: DeploymentKind; share?: number }) {
  const kind = input.kind ?? (input.share != null && input.share < 1 ? 'canary' : 'live');
  const share = kind === 'canary' ? (input.share ?? 0.1) : 1;
  if (!(share > 0 && share <= 1)) throw badRequest('share must be in (0, 1]');
  const note = input.note?.trim() || null;
  const now = new Date();
  const result = await db.$transaction(async (tx) => {
    const m = await modelOrThrow(tx, input.modelId);
    if (m.status === 'candidate' || m.status === 'rejected') transition(m.status, 'deploy'); // throws the 409 with its reason
    const state = await servingState(tx, m.phaseId);
    if (kind !== 'live' && state.live?.modelId === m.id) throw conflict(`model ${m.id} is already live`);
    if (kind === 'live' && state.live?.modelId === m.id && !state.canary) throw conflict(`model ${m.id} is already live`);
    await endSlot(tx, m.phaseId, kind, now);
    if (kind === 'live') {
      // A canary is compared against the live model it was started next to: a new live ends it.
      await endSlot(tx, m.phaseId, 'canary', now);
      // Deploying live ends any canary/shadow of the same model (it now answers everything).
      await tx.deployment.updateMany({ where: { phaseId: m.phaseId, modelId: m.id, rolledBackAt: null }, data: { rolledBackAt: now } });
      await tx.studentModel.update({ where: { id: m.id }, data: { status: transition(m.status, 'deploy') } });
    }
    const d = await tx.deployment.create({ data: { phaseId: m.phaseId, modelId: m.id, deployedById: input.actor.id, kind, share, note, createdAt: now } });
    return { deployment: d, model: m, previousLive: state.live };
  });
  const version = modelVersion(result.model.phaseId, result.model.round.number);
  await audit(db, input.actor.id, kind === 'live' ? 'model.deploy' : `model.${kind}`, `model:${result.model.id}`, { note, kind, share, version, replaced: kind === 'live' ? (result.previousLive?.version ?? null) : undefined });
  changed(result.model.phaseId);
  return { deploymentId: result.deployment.id, modelId: result.model.id, phaseId: result.model.phaseId, version, kind, share };
}

/** Makes the phase's canary its live model (one transaction, like a deploy). */
export async function promoteCanary(db: Db, input: { phaseId: number; actor: Actor; note?: string | null }) {
  const state = await servingState(db, input.phaseId);
  if (!state.canary) throw conflict('this phase has no canary to promote');
  const out = await deployModel(db, { modelId: state.canary.modelId, actor: input.actor, note: input.note ?? `promoted canary at ${Math.round(state.canary.share * 100)} %`, kind: 'live' });
  return out;
}

/** Stops the phase's canary or shadow (the live model answers everything again). */
export async function stopDeployment(db: Db, input: { phaseId: number; kind: 'canary' | 'shadow'; actor: Actor; note?: string | null }) {
  const ended = await db.$transaction((tx) => endSlot(tx, input.phaseId, input.kind, new Date()));
  if (!ended.length) throw conflict(`this phase has no ${input.kind}`);
  for (const d of ended) await audit(db, input.actor.id, `model.${input.kind}.stop`, `model:${d.modelId}`, { note: input.note?.trim() || null });
  changed(input.phaseId);
  return { stopped: ended.map((d) => d.id) };
}

/**
 * One click back to the previous live model: the current live deployment closes (its model is
 * retired) and the model that was live before it goes live again, in one transaction.
 */
export async function rollback(db: Db, input: { phaseId: number; actor: Actor; note?: string | null }) {
  const note = input.note?.trim() || null;
  const now = new Date();
  const out = await db.$transaction(async (tx) => {
    const lives = await tx.deployment.findMany({ where: { phaseId: input.phaseId, kind: 'live' }, orderBy: { id: 'desc' }, take: 50 });
    const current = lives.find((d) => d.rolledBackAt == null);
    if (!current) throw conflict('this phase has no live model to roll back');
    const previous = lives.find((d) => d.id < current.id && d.modelId !== current.modelId);
    if (!previous) throw conflict('there is no earlier deployed model to roll back to');
    await endSlot(tx, input.phaseId, 'live', now);
    await endSlot(tx, input.phaseId, 'canary', now);
    const prev = await tx.studentModel.findUniqueOrThrow({ where: { id: previous.modelId }, include: { round: { select: { number: true } } } });
    await tx.studentModel.update({ where: { id: prev.id }, data: { status: transition(prev.status, 'deploy') } });
    const d = await tx.deployment.create({ data: { phaseId: input.phaseId, modelId: prev.id, deployedById: input.actor.id, kind: 'live', share: 1, note: note ?? `rollback from model ${current.modelId}`, createdAt: now } });
    return { deployment: d, from: current.modelId, to: prev };
  });
  const version = modelVersion(input.phaseId, out.to.round.number);
  await audit(db, input.actor.id, 'model.rollback', `model:${out.from}`, { note, to: out.to.id, version });
  await audit(db, input.actor.id, 'model.deploy', `model:${out.to.id}`, { note: note ?? `rollback from model ${out.from}`, rollbackFrom: out.from, version });
  changed(input.phaseId);
  return { deploymentId: out.deployment.id, modelId: out.to.id, rolledBackModelId: out.from, version };
}

/** Deployment history of a phase, newest first. */
export async function deploymentHistory(db: Db, phaseId: number) {
  const rows = await db.deployment.findMany({ where: { phaseId }, orderBy: { id: 'desc' }, take: 100, include: { model: { include: { round: { select: { number: true } } } } } });
  return rows.map((d) => ({ id: d.id, modelId: d.modelId, version: modelVersion(phaseId, d.model.round.number), kind: d.kind, share: d.share, note: d.note, deployedById: d.deployedById, createdAt: d.createdAt, endedAt: d.rolledBackAt }));
}
