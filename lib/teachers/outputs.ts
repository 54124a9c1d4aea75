import type { Db } from '../db/client.ts';
import { insertRows } from '../db/bulk.ts';
import { encodeProbs } from '../db/probs.ts';
import { parseTeacherModelVersion, type Prediction } from '../ml/predictor.ts';

/**
 * Records a teacher's probabilities for items that already exist (a teacher run after import,
 * like the demo's reference teacher). The teacher row is named and versioned by the
 * prediction's `modelVersion` (`<name>@<version>`). Re-running overwrites: the newest run of
 * a teacher wins.
 */
export async function writeTeacherPredictions(
  db: Db,
  input: { phaseId: number; weight?: number },
  itemIds: ArrayLike<number>,
  prediction: Prediction,
): Promise<{ teacherId: number; written: number }> {
  const { probs, numClasses } = prediction;
  if (probs.length !== itemIds.length * numClasses) throw new Error(`expected ${itemIds.length}×${numClasses} probabilities, got ${probs.length}`);
  const { name, version } = parseTeacherModelVersion(prediction.modelVersion);
  const teacher = await db.teacher.upsert({
    where: { phaseId_name: { phaseId: input.phaseId, name } },
    create: { phaseId: input.phaseId, name, version, weight: input.weight ?? 1 },
    update: { version, ...(input.weight != null ? { weight: input.weight } : {}) },
  });
  await insertRows(db, 'TeacherPrediction', ['itemId', 'teacherId', 'probs'], itemIds.length, (i) => [itemIds[i], teacher.id, encodeProbs(probs.subarray(i * numClasses, (i + 1) * numClasses))], {
    suffix: 'ON CONFLICT ("itemId", "teacherId") DO UPDATE SET "probs" = excluded."probs"',
  });
  return { teacherId: teacher.id, written: itemIds.length };
}
