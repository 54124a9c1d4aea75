import type { Db } from '../db/client.ts';
import { combineTeachers } from '../ml/loss.ts';
import { providerOf, placeholders } from '../db/sql.ts';
import { decodeProbsInto } from '../db/probs.ts';

/** Rows of one phase, aligned: items[i] ↔ probs[i*C..] ↔ human[i]. */
export interface PhaseRows {
  ids: Int32Array;
  texts: string[];
  /** Combined teacher probabilities (n×C); rows without any teacher output are NaN-free zeros and hasTeacher[i] = 0. */
  teacherProbs: Float32Array;
  hasTeacher: Uint8Array;
  /** Human label index (HumanLabel, else the imported gold label), −1 = none. */
  human: Int32Array;
  /** 1 where the item is in the temporal test slice. */
  test: Uint8Array;
}

export interface PhaseMeta {
  id: number;
  labels: string[];
  threshold: number | null;
  positiveLabel: string | null;
}

export async function phaseMeta(db: Db, phaseId: number): Promise<PhaseMeta> {
  const p = await db.phase.findUniqueOrThrow({ where: { id: phaseId } });
  return { id: p.id, labels: JSON.parse(p.labels), threshold: p.threshold, positiveLabel: p.positiveLabel };
}

/**
 * Loads a phase's items of one split (or all) with their teachers' outputs combined by teacher
 * weight and their human labels. Raw SQL: a round reads every item of the phase, and Prisma's
 * per-row object mapping costs more than the rest of loading.
 */
export async function loadPhaseRows(db: Db, phase: PhaseMeta, split: 'train' | 'test' | 'all', onlyIds?: Int32Array): Promise<PhaseRows> {
  const provider = providerOf(db);
  const C = phase.labels.length;
  const labelIndex = new Map(phase.labels.map((l, i) => [l, i]));
  const splitFilter = split === 'all' ? '' : ` AND "split" = '${split}'`;
  const items = await db.$queryRawUnsafe<{ id: number; text: string; goldLabel: string | null; split: string }[]>(
    placeholders(provider, `SELECT "id", "text", "goldLabel", "split" FROM "Item" WHERE "phaseId" = $1${splitFilter} ORDER BY "id"`),
    phase.id,
  );
  let rows = items;
  if (onlyIds) {
    const keep = new Set(onlyIds);
    rows = items.filter((r) => keep.has(Number(r.id)));
  }
  const n = rows.length;
  const ids = new Int32Array(n);
  const texts = new Array<string>(n);
  const pos = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    ids[i] = Number(rows[i].id);
    texts[i] = rows[i].text;
    pos.set(ids[i], i);
  }
  const test = Uint8Array.from(rows, (r) => (r.split === 'test' ? 1 : 0));
  const human = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const g = rows[i].goldLabel;
    if (g != null && labelIndex.has(g)) human[i] = labelIndex.get(g)!;
  }
  const labels = await db.humanLabel.findMany({ where: { phaseId: phase.id }, select: { itemId: true, label: true } });
  for (const l of labels) {
    const i = pos.get(l.itemId);
    if (i !== undefined && labelIndex.has(l.label)) human[i] = labelIndex.get(l.label)!;
  }

  const teachers = await db.teacher.findMany({ where: { phaseId: phase.id }, orderBy: { id: 'asc' } });
  const perTeacher: Float32Array[] = [];
  const present: Uint8Array[] = [];
  for (const t of teachers) {
    const probs = new Float32Array(n * C);
    const has = new Uint8Array(n);
    const preds = await db.$queryRawUnsafe<{ itemId: number; probs: Uint8Array }[]>(
      placeholders(provider, `SELECT "itemId", "probs" FROM "TeacherPrediction" WHERE "teacherId" = $1`),
      t.id,
    );
    for (const p of preds) {
      const i = pos.get(Number(p.itemId));
      if (i === undefined) continue;
      if (decodeProbsInto(p.probs, C, probs, i * C)) has[i] = 1;
    }
    perTeacher.push(probs);
    present.push(has);
  }
  const teacherProbs = new Float32Array(n * C);
  const hasTeacher = new Uint8Array(n);
  const row: Float32Array[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    row.length = 0;
    w.length = 0;
    for (let t = 0; t < teachers.length; t++) {
      if (!present[t][i]) continue;
      row.push(perTeacher[t].subarray(i * C, i * C + C));
      w.push(teachers[t].weight);
    }
    if (!row.length) continue;
    hasTeacher[i] = 1;
    teacherProbs.set(row.length === 1 ? row[0] : combineTeachers(row, w), i * C);
  }
  return { ids, texts, teacherProbs, hasTeacher, human, test };
}

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
