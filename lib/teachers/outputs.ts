import type { Db } from '../db/client.ts';
import { providerOf, placeholders } from '../import/sql.ts';

const ROWS = 1000;

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
  const provider = providerOf(db);
  for (let s = 0; s < itemIds.length; s += ROWS * 10) {
    const end = Math.min(itemIds.length, s + ROWS * 10);
    await db.$transaction(async (tx) => {
      for (let b = s; b < end; b += ROWS) {
        const stop = Math.min(end, b + ROWS);
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let i = b; i < stop; i++) {
          tuples.push('(?, ?, ?)');
          values.push(itemIds[i], teacher.id, Buffer.from(probs.slice(i * numClasses, (i + 1) * numClasses).buffer));
        }
        await tx.$executeRawUnsafe(
          placeholders(provider, `INSERT INTO "TeacherPrediction" ("itemId", "teacherId", "probs") VALUES ${tuples.join(', ')} ON CONFLICT ("itemId", "teacherId") DO UPDATE SET "probs" = excluded."probs"`),
          ...values,
        );
      }
    }, { timeout: 120_000 });
  }
  return { teacherId: teacher.id, written: itemIds.length };
}
