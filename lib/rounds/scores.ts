import type { Db } from '../db/client.ts';
import { disagreement } from '../ml/metrics.ts';
import { providerOf, placeholders } from '../import/sql.ts';

const ROWS_PER_INSERT = 500;

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
): Promise<{ scored: number; meanJs: number; flips: number }> {
  const provider = providerOf(db);
  const d = disagreement(teacherProbs, studentProbs, C);
  await db.$executeRawUnsafe(placeholders(provider, 'DELETE FROM "StudentScore" WHERE "modelId" = ?'), modelId);
  const n = itemIds.length;
  let jsSum = 0;
  let flips = 0;
  let scored = 0;
  for (let s = 0; s < n; s += ROWS_PER_INSERT * 10) {
    const end = Math.min(n, s + ROWS_PER_INSERT * 10);
    await db.$transaction(async (tx) => {
      for (let b = s; b < end; b += ROWS_PER_INSERT) {
        const stop = Math.min(end, b + ROWS_PER_INSERT);
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let i = b; i < stop; i++) {
          // Items without a teacher output get the student's probabilities and no disagreement.
          const t = hasTeacher[i];
          const probs = Buffer.from(studentProbs.buffer, studentProbs.byteOffset + i * C * 4, C * 4);
          tuples.push('(?, ?, ?, ?, ?, ?, ?, ?)');
          values.push(itemIds[i], modelId, Buffer.from(probs), t ? d.kl[i] : 0, t ? d.js[i] : 0, t ? d.flip[i] === 1 : false, d.margin[i], t ? d.studentLoss[i] : 0);
          if (t) {
            jsSum += d.js[i];
            flips += d.flip[i];
            scored++;
          }
        }
        await tx.$executeRawUnsafe(
          placeholders(provider, `INSERT INTO "StudentScore" ("itemId", "modelId", "probs", "kl", "js", "flip", "margin", "loss") VALUES ${tuples.join(', ')}`),
          ...values,
        );
      }
    }, { timeout: 120_000 });
    onProgress?.(end);
  }
  return { scored: n, meanJs: scored ? jsSum / scored : 0, flips };
}
