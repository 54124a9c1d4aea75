import type { Db } from '../db/client.ts';
import { conflict } from '../errors.ts';
import { audit } from '../audit.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { decide, phaseMeta, type PhaseMeta } from '../tasks/phase.ts';
import { servingState } from './deploy.ts';
import { modelVersion } from './status.ts';

/** Items of the pool (train split) sampled for the flip set, besides the whole test slice. */
export const POOL_SAMPLE = 2000;

export interface Flip {
  itemId: number;
  slice: 'test' | 'pool';
  text: string;
  candidate: { label: string; probs: number[] };
  deployed: { label: string; probs: number[] };
  teacher: { label: string; probs: number[] } | null;
  human: string | null;
  /** fixes: the candidate agrees with the human label and the deployed model did not; breaks: the reverse. */
  effect: 'fixes' | 'breaks' | 'unlabelled' | 'neither';
}

export interface SliceCounts {
  items: number;
  flips: number;
  fixes: number;
  breaks: number;
  unlabelled: number;
}

export interface FlipSet {
  modelId: number;
  version: string;
  against: { modelId: number; version: string } | null;
  labels: string[];
  counts: { test: SliceCounts; pool: SliceCounts };
  flips: Flip[];
}

/** The items of a slice, one in `every` of the train split by id: a stable sample that needs no RNG state. */
function poolSample(ids: Int32Array, test: Uint8Array, max: number): Set<number> {
  const train = Array.from(ids).filter((_, i) => !test[i]);
  const every = Math.max(1, Math.ceil(train.length / max));
  return new Set(train.filter((_, i) => i % every === 0));
}

async function scoresOf(db: Db, modelId: number, C: number): Promise<Map<number, Float32Array>> {
  const rows = await db.studentScore.findMany({ where: { modelId }, select: { itemId: true, probs: true } });
  return new Map(rows.map((r) => [r.itemId, new Float32Array(new Uint8Array(r.probs).buffer.slice(0, C * 4))]));
}

/**
 * Where a candidate disagrees with the phase's deployed student (by the phase's decision rule),
 * on the temporal test slice and a pool sample, from the scores both stored when their round
 * scored the pool. Pure given those scores: nothing is re-run.
 */
export async function flipSet(db: Db, modelId: number, opts: { limit?: number } = {}): Promise<FlipSet> {
  const model = await db.studentModel.findUniqueOrThrow({ where: { id: modelId }, include: { round: { select: { number: true } } } });
  const phase = await phaseMeta(db, model.phaseId);
  const C = phase.labels.length;
  const live = (await servingState(db, model.phaseId)).live;
  const empty = (): SliceCounts => ({ items: 0, flips: 0, fixes: 0, breaks: 0, unlabelled: 0 });
  const base: FlipSet = { modelId, version: modelVersion(model.phaseId, model.round.number), against: null, labels: phase.labels, counts: { test: empty(), pool: empty() }, flips: [] };
  if (!live || live.modelId === modelId) return base;
  base.against = { modelId: live.modelId, version: live.version };
  const rows = await loadPhaseRows(db, phase, 'all');
  const [cand, dep] = await Promise.all([scoresOf(db, modelId, C), scoresOf(db, live.modelId, C)]);
  const pool = poolSample(rows.ids, rows.test, POOL_SAMPLE);
  const limit = opts.limit ?? 500;
  for (let i = 0; i < rows.ids.length; i++) {
    const id = rows.ids[i];
    const slice = rows.test[i] ? 'test' : pool.has(id) ? 'pool' : null;
    if (!slice) continue;
    const a = cand.get(id);
    const b = dep.get(id);
    if (!a || !b) continue;
    const counts = base.counts[slice];
    counts.items++;
    const la = decide(phase, a)[0];
    const lb = decide(phase, b)[0];
    if (la === lb) continue;
    counts.flips++;
    const h = rows.human[i];
    const effect = h < 0 ? 'unlabelled' : h === la ? 'fixes' : h === lb ? 'breaks' : 'neither';
    if (effect === 'fixes') counts.fixes++;
    else if (effect === 'breaks') counts.breaks++;
    else if (effect === 'unlabelled') counts.unlabelled++;
    if (base.flips.length < limit) base.flips.push(flipRow(phase, rows, i, slice, a, la, b, lb, effect));
  }
  return base;
}

function flipRow(phase: PhaseMeta, rows: Awaited<ReturnType<typeof loadPhaseRows>>, i: number, slice: 'test' | 'pool', a: Float32Array, la: number, b: Float32Array, lb: number, effect: Flip['effect']): Flip {
  const C = phase.labels.length;
  const t = rows.hasTeacher[i] ? rows.teacherProbs.slice(i * C, i * C + C) : null;
  return {
    itemId: rows.ids[i],
    slice,
    text: rows.texts[i],
    candidate: { label: phase.labels[la], probs: Array.from(a) },
    deployed: { label: phase.labels[lb], probs: Array.from(b) },
    teacher: t ? { label: phase.labels[decide(phase, t)[0]], probs: Array.from(t) } : null,
    human: rows.human[i] >= 0 ? phase.labels[rows.human[i]] : null,
    effect,
  };
}

/**
 * Puts the candidate's unlabelled flips at the front of the phase's annotation queue (people
 * settle what the two students disagree on). Items already done in the queue stay done.
 */
export async function sendFlipsToQueue(db: Db, input: { modelId: number; actor: { id: number } }) {
  const set = await flipSet(db, input.modelId, { limit: 100_000 });
  if (!set.against) throw conflict('no deployed model to compare with: nothing flips');
  const model = await db.studentModel.findUniqueOrThrow({ where: { id: input.modelId } });
  const phaseId = model.phaseId;
  const ids = set.flips.filter((f) => f.effect === 'unlabelled').map((f) => f.itemId);
  const result = await db.$transaction(async (tx) => {
    const first = await tx.queueEntry.findFirst({ where: { phaseId }, orderBy: { rank: 'asc' }, select: { rank: true } });
    let rank = Math.min(0, first?.rank ?? 0) - ids.length - 1;
    const existing = new Map((await tx.queueEntry.findMany({ where: { phaseId, itemId: { in: ids } } })).map((e) => [e.itemId, e]));
    let added = 0;
    let moved = 0;
    for (const itemId of ids) {
      const e = existing.get(itemId);
      rank++;
      if (e?.done) continue;
      if (e) {
        await tx.queueEntry.update({ where: { phaseId_itemId: { phaseId, itemId } }, data: { rank } });
        moved++;
      } else {
        await tx.queueEntry.create({ data: { phaseId, itemId, rank, modelId: input.modelId } });
        added++;
      }
    }
    if (added) {
      const state = await tx.queueState.findUnique({ where: { phaseId } });
      if (state) await tx.queueState.update({ where: { phaseId }, data: { open: { increment: added }, total: { increment: added } } });
      else await tx.queueState.create({ data: { phaseId, modelId: input.modelId, strategy: 'js', open: added, total: added } });
    }
    return { queued: added + moved, added, moved };
  });
  await audit(db, input.actor.id, 'model.flips.queue', `model:${input.modelId}`, { ...result, against: set.against.modelId });
  return result;
}
