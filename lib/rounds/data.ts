import type { Db } from '../db/client.ts';
import { providerOf, placeholders } from '../db/sql.ts';
import { decodeProbs } from '../db/probs.ts';
import type { PhaseRows } from '../tasks/items.ts';
import type { PhaseMeta } from '../tasks/phase.ts';
import { goodStudents } from '../models/regression.ts';

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
    trusted: Uint8Array.from(idx, (i) => rows.trusted[i]),
  };
}

/**
 * The last student's probabilities and loss (against the teacher) per item, for loss-guided
 * sampling, or null when there is none. A student flagged as a regression is skipped.
 */
export async function lastStudentScores(db: Db, phase: PhaseMeta, beforeRoundId: number): Promise<{ modelId: number; scores: Map<number, { probs: Float32Array; loss: number }> } | null> {
  const [model] = await goodStudents(db, phase.id, beforeRoundId);
  if (!model) return null;
  const provider = providerOf(db);
  const rows = await db.$queryRawUnsafe<{ itemId: number; loss: number; probs: Uint8Array }[]>(
    placeholders(provider, `SELECT "itemId", "loss", "probs" FROM "StudentScore" WHERE "modelId" = $1`),
    model.id,
  );
  if (!rows.length) return null;
  return { modelId: model.id, scores: new Map(rows.map((r) => [Number(r.itemId), { probs: decodeProbs(r.probs), loss: Number(r.loss) }])) };
}
