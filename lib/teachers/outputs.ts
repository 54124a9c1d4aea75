import type { Db } from '../db/client.ts';
import { insertRows } from '../db/bulk.ts';
import { encodeProbs } from '../db/probs.ts';

/**
 * Records a teacher's probabilities for items that already exist (a teacher run after import,
 * like the demo's reference teacher). Re-running overwrites: the newest run of a teacher wins.
 */
export async function writeTeacherPredictions(
  db: Db,
  input: { phaseId: number; name: string; version?: string; weight?: number },
  itemIds: ArrayLike<number>,
  probs: Float32Array,
  numClasses: number,
): Promise<{ teacherId: number; written: number }> {
  if (probs.length !== itemIds.length * numClasses) throw new Error(`expected ${itemIds.length}×${numClasses} probabilities, got ${probs.length}`);
  const teacher = await db.teacher.upsert({
    where: { phaseId_name: { phaseId: input.phaseId, name: input.name } },
    create: { phaseId: input.phaseId, name: input.name, version: input.version ?? '', weight: input.weight ?? 1 },
    update: { version: input.version ?? '', ...(input.weight != null ? { weight: input.weight } : {}) },
  });
  await insertRows(db, 'TeacherPrediction', ['itemId', 'teacherId', 'probs'], itemIds.length, (i) => [itemIds[i], teacher.id, encodeProbs(probs.subarray(i * numClasses, (i + 1) * numClasses))], {
    suffix: 'ON CONFLICT ("itemId", "teacherId") DO UPDATE SET "probs" = excluded."probs"',
  });
  return { teacherId: teacher.id, written: itemIds.length };
}
