import type { Db } from '../db/client.ts';
import { insertRows } from '../db/bulk.ts';
import { encodeProbs } from '../db/probs.ts';
import { disagreement, type Disagreement } from '../ml/metrics.ts';

/**
 * Stores a student's probabilities and its disagreement with the teacher for every scored item
 * (StudentScore), replacing what an earlier attempt of the same model wrote.
 */
export async function writeStudentScores(
  db: Db,
  modelId: number,
  itemIds: Int32Array,
  teacherProbs: Float32Array,
  hasTeacher: Uint8Array,
  studentProbs: Float32Array,
  C: number,
  onProgress?: (written: number) => void,
): Promise<{ scored: number; meanJs: number; flips: number; disagreement: Disagreement }> {
  await db.studentScore.deleteMany({ where: { modelId } });
  return insertStudentScores(db, modelId, itemIds, teacherProbs, hasTeacher, studentProbs, C, onProgress);
}

/** Adds StudentScore rows for items the model has not scored yet (writeStudentScores replaces them all); returns the disagreement it stored. */
export async function insertStudentScores(
  db: Db,
  modelId: number,
  itemIds: Int32Array,
  teacherProbs: Float32Array,
  hasTeacher: Uint8Array,
  studentProbs: Float32Array,
  C: number,
  onProgress?: (written: number) => void,
): Promise<{ scored: number; meanJs: number; flips: number; disagreement: Disagreement }> {
  const d = disagreement(teacherProbs, studentProbs, C);
  let jsSum = 0;
  let flips = 0;
  let withTeacher = 0;
  for (let i = 0; i < itemIds.length; i++) {
    if (!hasTeacher[i]) continue;
    jsSum += d.js[i];
    flips += d.flip[i];
    withTeacher++;
  }
  // Items without a teacher output get the student's probabilities and no disagreement.
  await insertRows(
    db,
    'StudentScore',
    ['itemId', 'modelId', 'probs', 'kl', 'js', 'flip', 'margin', 'loss', 'doubt'],
    itemIds.length,
    (i) => {
      const t = hasTeacher[i] === 1;
      return [itemIds[i], modelId, encodeProbs(studentProbs.subarray(i * C, (i + 1) * C)), t ? d.kl[i] : 0, t ? d.js[i] : 0, t && d.flip[i] === 1, d.margin[i], t ? d.studentLoss[i] : 0, t ? d.doubt[i] : 0];
    },
    { onProgress },
  );
  return { scored: itemIds.length, meanJs: withTeacher ? jsSum / withTeacher : 0, flips, disagreement: d };
}
