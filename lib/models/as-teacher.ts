import type { Db } from '../db/client.ts';
import { audit } from '../audit.ts';
import { badRequest, conflict } from '../errors.ts';
import { teacherModelVersion } from '../ml/predictor.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { phaseMeta } from '../tasks/phase.ts';
import { writeTeacherPredictions } from '../teachers/outputs.ts';
import { modelFile } from './registry.ts';
import { modelVersion } from './status.ts';

/**
 * Adds a deployed or retired student as an extra teacher of its phase (the seed kept the
 * coverage of its historical online models this way): its probabilities for every item of the
 * phase are computed by inference now and recorded like any teacher's, with the given weight.
 * Adding it again recomputes them (new items included) and updates the weight.
 */
export async function addStudentAsTeacher(db: Db, input: { modelId: number; weight: number; actor: { id: number } }) {
  if (!(input.weight > 0 && input.weight <= 100)) throw badRequest('weight must be in (0, 100]');
  const model = await db.studentModel.findUniqueOrThrow({ where: { id: input.modelId }, include: { round: { select: { number: true } } } });
  if (model.status !== 'deployed' && model.status !== 'retired') throw conflict(`only a deployed or retired student can teach; this one is ${model.status}`);
  const phase = await phaseMeta(db, model.phaseId);
  const rows = await loadPhaseRows(db, phase, 'all');
  const student = await OnnxStudent.load(new Uint8Array(await modelFile(db, model, 'student.onnx')));
  let probs: Float32Array;
  try {
    probs = (await student.predict(rows.texts)).probs;
  } finally {
    await student.release();
  }
  const version = modelVersion(model.phaseId, model.round.number);
  const name = `student-${version}`;
  const out = await writeTeacherPredictions(db, { phaseId: model.phaseId, weight: input.weight }, rows.ids, { probs, numClasses: phase.labels.length, modelVersion: teacherModelVersion(name, version) });
  await audit(db, input.actor.id, 'model.teacher', `model:${model.id}`, { teacher: name, weight: input.weight, items: out.written });
  return { teacherId: out.teacherId, name, weight: input.weight, items: out.written };
}
