/**
 * A student's decision (by the phase's rule) and its disagreement with the teacher for every item
 * it scored, read from the StudentScore rows its round stored. The dashboard and the round
 * comparison line consecutive students up item by item from these.
 *
 * The rows of a finished round never change (a retried round rewrites them before it succeeds),
 * so they are kept in memory per database handle and model: a dashboard of ten rounds over 37k
 * items reads each student once, not on every refresh.
 */
import type { Db } from '../db/client.ts';
import { placeholders, providerOf } from '../db/sql.ts';
import { decodeProbsInto } from '../db/probs.ts';
import { decide, type PhaseMeta } from '../tasks/phase.ts';

export interface StudentDecisions {
  modelId: number;
  /** Item ids, ascending. */
  itemIds: Int32Array;
  /** The phase's decision per item (−1: the stored row is for another label set). */
  decisions: Int32Array;
  /** Jensen–Shannon divergence from the teacher per item (0 where the item has no teacher output). */
  js: Float32Array;
}

const CACHE_SIZE = 24;
const cache = new WeakMap<Db, Map<string, StudentDecisions>>();

export async function studentDecisions(db: Db, phase: PhaseMeta, modelId: number): Promise<StudentDecisions> {
  const key = `${modelId}:${phase.labels.length}:${phase.threshold}:${phase.positiveLabel}`;
  let perDb = cache.get(db);
  const hit = perDb?.get(key);
  if (hit) return hit;
  const C = phase.labels.length;
  const rows = await db.$queryRawUnsafe<{ itemId: unknown; probs: Uint8Array; js: unknown }[]>(
    placeholders(providerOf(db), `SELECT "itemId", "probs", "js" FROM "StudentScore" WHERE "modelId" = $1 ORDER BY "itemId"`),
    modelId,
  );
  const n = rows.length;
  const probs = new Float32Array(n * C);
  const valid = new Uint8Array(n);
  const itemIds = new Int32Array(n);
  const js = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    itemIds[i] = Number(rows[i].itemId);
    js[i] = Number(rows[i].js);
    valid[i] = decodeProbsInto(rows[i].probs, C, probs, i * C) ? 1 : 0;
  }
  const decided = decide(phase, probs);
  const decisions = Int32Array.from(decided, (d, i) => (valid[i] ? d : -1));
  const out = { modelId, itemIds, decisions, js };
  // Only a finished round's scores are final.
  const round = await db.studentModel.findUnique({ where: { id: modelId }, select: { round: { select: { status: true } } } });
  if (round?.round.status === 'succeeded') {
    if (!perDb) cache.set(db, (perDb = new Map()));
    perDb.set(key, out);
    if (perDb.size > CACHE_SIZE) perDb.delete(perDb.keys().next().value!);
  }
  return out;
}

/** The decisions lined up with `ids` (ascending, e.g. a phase's rows): −1 where the student scored no such item. */
export function alignDecisions(ids: Int32Array, s: StudentDecisions): Int32Array {
  const out = new Int32Array(ids.length).fill(-1);
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    while (j < s.itemIds.length && s.itemIds[j] < ids[i]) j++;
    if (j < s.itemIds.length && s.itemIds[j] === ids[i]) out[i] = s.decisions[j];
  }
  return out;
}
