import type { Db } from '../db/client.ts';
import { providerOf, placeholders } from '../db/sql.ts';
import type { PhaseRows } from '../tasks/items.ts';

const kept = (keep: Uint8Array) => {
  const idx: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i]) idx.push(i);
  return idx;
};

/** The n×C probability rows where `keep` is 1, in order. */
export function selectProbs(probs: Float32Array, keep: Uint8Array, C: number): Float32Array {
  const idx = kept(keep);
  const out = new Float32Array(idx.length * C);
  idx.forEach((i, k) => out.set(probs.subarray(i * C, i * C + C), k * C));
  return out;
}

/** The rows where `keep` is 1, in order (e.g. the test slice out of all of a phase's rows). */
export function selectRows(rows: PhaseRows, keep: Uint8Array, C: number): PhaseRows {
  const idx = kept(keep);
  return {
    ids: Int32Array.from(idx, (i) => rows.ids[i]),
    texts: idx.map((i) => rows.texts[i]),
    teacherProbs: selectProbs(rows.teacherProbs, keep, C),
    hasTeacher: Uint8Array.from(idx, (i) => rows.hasTeacher[i]),
    human: Int32Array.from(idx, (i) => rows.human[i]),
    test: Uint8Array.from(idx, (i) => rows.test[i]),
  };
}

/** The last student's loss per item (for loss-guided sampling), or null when there is none. */
export async function lastStudentLoss(db: Db, phaseId: number, beforeRoundId: number): Promise<{ modelId: number; loss: Map<number, number> } | null> {
  const model = await db.studentModel.findFirst({
    where: { phaseId, roundId: { lt: beforeRoundId }, status: { not: 'rejected' } },
    orderBy: { id: 'desc' },
  });
  if (!model) return null;
  const provider = providerOf(db);
  const rows = await db.$queryRawUnsafe<{ itemId: number; loss: number }[]>(
    placeholders(provider, `SELECT "itemId", "loss" FROM "StudentScore" WHERE "modelId" = $1`),
    model.id,
  );
  if (!rows.length) return null;
  return { modelId: model.id, loss: new Map(rows.map((r) => [Number(r.itemId), Number(r.loss)])) };
}
