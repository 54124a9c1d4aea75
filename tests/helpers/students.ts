/**
 * Real students for serving tests without a training run: a small TextCNN with seeded random
 * weights, exported to ONNX and scored over its phase like a round does (StudentScore rows),
 * stored where a round stores its artifacts. Different seeds give models that disagree.
 */
import type { Db } from '../../lib/db/client.ts';
import { artifactStore } from '../../lib/artifacts/store.ts';
import { parseStudentConfig } from '../../lib/ml/config.ts';
import { initWeights } from '../../lib/ml/model.ts';
import { exportOnnx } from '../../lib/ml/onnx.ts';
import { OnnxStudent } from '../../lib/ml/inference.ts';
import { Rng } from '../../lib/ml/rng.ts';
import { Vocab } from '../../lib/ml/tokenizer.ts';
import { loadPhaseRows } from '../../lib/tasks/items.ts';
import { phaseMeta } from '../../lib/tasks/phase.ts';
import { modelArtifactKey } from '../../lib/rounds/run.ts';
import { writeStudentScores } from '../../lib/rounds/scores.ts';

export async function addStudent(db: Db, phaseId: number, seed: number): Promise<number> {
  const phase = await phaseMeta(db, phaseId);
  const C = phase.labels.length;
  const rows = await loadPhaseRows(db, phase, 'all');
  const vocab = Vocab.build(rows.texts, { minFreq: 1 });
  const config = parseStudentConfig({ arch: 'textcnn', embeddingDim: 16, filters: 12, kernelSizes: [1, 2], maxLen: 64 });
  const weights = initWeights(config, vocab.size, C, new Rng(seed));
  // Untrained outputs hug 1/C; a larger output layer spreads them so that two seeds disagree on real items.
  for (let i = 0; i < weights.params['dense.kernel'].data.length; i++) weights.params['dense.kernel'].data[i] *= 40;
  const onnx = exportOnnx(weights, { vocab: vocab.toJSON() });
  const last = await db.round.findFirst({ where: { phaseId }, orderBy: { number: 'desc' } });
  const number = (last?.number ?? -1) + 1;
  const round = await db.round.create({ data: { phaseId, number, config: '{}', status: 'succeeded', finishedAt: new Date() } });
  const key = modelArtifactKey(phaseId, number);
  const store = artifactStore(db);
  const modelConfig = { labels: phase.labels, threshold: phase.threshold, positiveLabel: phase.positiveLabel, student: config, tokenizer: vocab.toJSON().tokenizer };
  const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
  await store.put(`${key}/student.onnx`, onnx);
  await store.put(`${key}/vocab.json`, enc(vocab.toJSON()));
  await store.put(`${key}/config.json`, enc(modelConfig));
  await store.put(`${key}/model-card.md`, enc(`# Student model — phase ${phaseId}, round ${number}\n\nseed ${seed}\n`));
  const student = await OnnxStudent.load(onnx);
  const probs = (await student.predict(rows.texts)).probs;
  await student.release();
  const metrics = { vsTeacher: { macroF1: 0.5, accuracy: 0.5 }, vsHuman: null, testItems: rows.test.reduce((a, b) => a + b, 0), trainExamples: rows.ids.length, humanLabelled: 0, vocabSize: vocab.size };
  const model = await db.studentModel.create({ data: { roundId: round.id, phaseId, arch: 'textcnn', artifactKey: key, config: JSON.stringify(modelConfig), metrics: JSON.stringify(metrics) } });
  await writeStudentScores(db, model.id, rows.ids, rows.teacherProbs, rows.hasTeacher, probs, C);
  return model.id;
}
