/**
 * A phase's items as a round, the queue and the reference teacher read them: aligned arrays of
 * ids, texts, the teachers' outputs mixed by weight, human labels and the test split.
 */

import type { Db } from '../db/client.ts';
import { providerOf, placeholders } from '../db/sql.ts';
import { decodeProbsInto } from '../db/probs.ts';
import { mixTeachers, type TeacherMatrix } from '../ml/loss.ts';
import type { PhaseMeta } from './phase.ts';

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
  /** 1 where the human label is a trusted one: imported gold, or a lead's adjudication. */
  trusted: Uint8Array;
}

/**
 * Loads a phase's items of one split (or all) with their teachers' outputs combined by teacher
 * weight and their human labels. Raw SQL: a round reads every item of the phase, and Prisma's
 * per-row object mapping costs more than the rest of loading.
 */
export async function loadPhaseRows(db: Db, phase: PhaseMeta, split: 'train' | 'test' | 'all', onlyIds?: Int32Array, opts: { teachers?: boolean; texts?: boolean } = {}): Promise<PhaseRows> {
  const provider = providerOf(db);
  const C = phase.labels.length;
  const labelIndex = new Map(phase.labels.map((l, i) => [l, i]));
  const splitFilter = split === 'all' ? '' : ` AND "split" = '${split}'`;
  // texts: false (readers of labels and splits only) leaves every text '' and skips reading them.
  const items = await db.$queryRawUnsafe<{ id: number; text?: string; goldLabel: string | null; split: string }[]>(
    placeholders(provider, `SELECT "id", ${opts.texts === false ? '' : '"text", '}"goldLabel", "split" FROM "Item" WHERE "phaseId" = $1${splitFilter} ORDER BY "id"`),
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
    texts[i] = rows[i].text ?? '';
    pos.set(ids[i], i);
  }
  const test = Uint8Array.from(rows, (r) => (r.split === 'test' ? 1 : 0));
  const human = new Int32Array(n).fill(-1);
  const trusted = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = rows[i].goldLabel;
    if (g != null && labelIndex.has(g)) (human[i] = labelIndex.get(g)!), (trusted[i] = 1);
  }
  const labels = await db.humanLabel.findMany({ where: { phaseId: phase.id }, select: { itemId: true, label: true, source: true } });
  for (const l of labels) {
    const i = pos.get(l.itemId);
    if (i !== undefined && labelIndex.has(l.label)) {
      human[i] = labelIndex.get(l.label)!;
      if (l.source === 'adjudication') trusted[i] = 1;
    }
  }

  // teachers: false (readers that need only labels and splits) skips decoding every teacher output.
  const teachers = opts.teachers === false ? [] : await db.teacher.findMany({ where: { phaseId: phase.id }, orderBy: { id: 'asc' } });
  const perTeacher: TeacherMatrix[] = [];
  for (const t of teachers) {
    const probs = new Float32Array(n * C);
    const has = new Uint8Array(n);
    const preds = await db.$queryRawUnsafe<{ itemId: number; probs: Uint8Array }[]>(
      placeholders(provider, `SELECT "itemId", "probs" FROM "TeacherPrediction" WHERE "teacherId" = $1`),
      t.id,
    );
    for (const p of preds) {
      const i = pos.get(Number(p.itemId));
      if (i !== undefined && decodeProbsInto(p.probs, C, probs, i * C)) has[i] = 1;
    }
    perTeacher.push({ probs, has, weight: t.weight });
  }
  const { probs: teacherProbs, has: hasTeacher } = mixTeachers(perTeacher, n, C);
  return { ids, texts, teacherProbs, hasTeacher, human, test, trusted };
}
