/**
 * Rounds end to end on real data: COLD and Banking77 samples are imported, a real teacher (a
 * model trained here on gold labels) scores them, and rounds run in real worker processes:
 * train → export ONNX → evaluate on the temporal test slice → score the pool. One worker is
 * SIGKILLed mid-round; its replacement resumes from the last checkpoint and exactly one model
 * results.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, providers, type TestDatabase } from './helpers/db.ts';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker.ts';
import { readCold, type ColdRow } from '../lib/datasets/cold.ts';
import { loadBanking77 } from '../lib/ml/datasets.ts';
import { importFile } from '../lib/import/importer.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { trainTeacher, teacherPredict, type TeacherSpec } from '../lib/teachers/reference.ts';
import { writeTeacherPredictions } from '../lib/teachers/outputs.ts';
import { phaseMeta } from '../lib/tasks/phase.ts';
import { loadPhaseRows } from '../lib/tasks/items.ts';
import { listModels, roundHeading } from '../lib/rounds/read.ts';
import { BACKENDS } from '../lib/ml/backend.ts';
import { getRound, startRound } from '../lib/rounds/rounds.ts';
import { OnnxStudent } from '../lib/ml/inference.ts';
import { LocalArtifactStore } from '../lib/artifacts/store.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { teacherModelVersion } from '../lib/ml/predictor.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'distillery-rounds-'));
process.env.DISTILLERY_DATA_DIR = dataDir;

const SMALL_TEACHER: TeacherSpec = {
  name: 'test-teacher',
  version: '1',
  members: [{ model: { arch: 'textcnn', embeddingDim: 96, filters: 96, kernelSizes: [1, 2, 3, 4], maxLen: 96 }, train: { epochs: 4, seed: 3 } }],
};

async function* jsonl(rows: { id: string; text: string; label?: string }[]) {
  yield rows.map((r, i) => JSON.stringify({ id: r.id, text: r.text, time: i, ...(r.label ? { label: r.label } : {}) })).join('\n') + '\n';
}

/** A phase with items, 10% human-labelled, and a real teacher's outputs for all of them. */
async function phaseWithTeacher(t: TestDatabase, slug: string, labels: string[], teacherTexts: string[], teacherLabels: Int32Array, pool: { id: string; text: string; label: string }[]) {
  const task = await createTask(t.db, { slug, name: slug, phases: [{ key: 'p', name: 'P', labels, ...(labels.length === 2 ? { threshold: 0.5, positiveLabel: labels[1] } : {}) }] });
  const phaseId = (await t.db.phase.findFirstOrThrow({ where: { taskId: task.id } })).id;
  await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(pool.map((r, i) => ({ ...r, label: i % 10 === 0 ? r.label : undefined }))) });
  const teacher = await trainTeacher(SMALL_TEACHER, teacherTexts, teacherLabels, labels.length);
  const phase = await phaseMeta(t.db, phaseId);
  const all = await loadPhaseRows(t.db, phase, 'all');
  await writeTeacherPredictions(t.db, { phaseId }, all.ids, await teacherPredict(teacher, all.texts));
  return phaseId;
}

describe.each(providers)('rounds on %s', (provider) => {
  let t: TestDatabase;
  const workers: WorkerProcess[] = [];
  const env = () => ({ DATABASE_URL: t.url, DISTILLERY_DATA_DIR: dataDir, WORKER_LEASE_MS: '2000' });
  let cold: ColdRow[];

  beforeAll(async () => {
    t = await freshDatabase(provider);
    cold = await readCold();
  });
  afterAll(async () => {
    for (const w of workers) w.kill();
    await t?.drop();
  });

  it('COLD: a SIGKILLed worker’s round resumes from its checkpoint in a new worker; one model; beats the majority baseline; ONNX artifacts load', async () => {
    const train = cold.filter((r) => r.split === 'train');
    const teacherRows = train.slice(0, 2500);
    const pool = train.slice(2500, 5500).map((r) => ({ id: r.id, text: r.text, label: r.offensive ? 'offensive' : 'safe' }));
    const phaseId = await phaseWithTeacher(t, `cold-${provider}`, ['safe', 'offensive'], teacherRows.map((r) => r.text), Int32Array.from(teacherRows, (r) => (r.offensive ? 1 : 0)), pool);

    // A TextCNN: its epochs take long enough for a worker to be killed mid-round (the default n-gram student's take a second).
    const round = await startRound(t.db, { phaseId, config: { model: { arch: 'textcnn' }, train: { epochs: 4, seed: 9 } } });
    const a = startWorkerProcess({ ...env(), WORKER_ID: 'victim' });
    workers.push(a);
    // Kill it once the first epoch's checkpoint is stored, mid-way through the next.
    await waitFor('the first checkpoint', async () => {
      const r = await getRound(t.db, round.id);
      return (r.progress?.history?.length ?? 0) >= 1 && r.progress?.stage === 'training';
    }, () => a.lines, 120_000, 50);
    a.kill();
    await a.exited;
    const b = startWorkerProcess({ ...env(), WORKER_ID: 'rescuer' });
    workers.push(b);
    const done = await waitFor('the round to finish', async () => {
      const r = await getRound(t.db, round.id);
      if (r.status === 'failed') throw new Error(`round failed: ${r.error}\n${b.lines.join('\n')}`);
      return r.status === 'succeeded' ? r : null;
    }, () => b.lines, 240_000, 250);
    b.kill();

    expect(b.lines.join('\n')).toContain('resuming round');
    expect(done.job?.attempts).toBe(2);
    expect(await t.db.studentModel.count({ where: { roundId: round.id } })).toBe(1);
    const m = done.metrics!;
    expect(m.history).toHaveLength(4);
    // Whichever supported backend this machine has (wasm here, tfjs-node-gpu on the GPU path), recorded on the round.
    expect(BACKENDS).toContain(m.backend);
    expect((await t.db.round.findUniqueOrThrow({ where: { id: round.id } })).backend).toBe(m.backend);
    expect(m.vsTeacher!.total).toBeGreaterThan(250);
    // Better than always answering the teacher's most frequent decision.
    expect(m.vsTeacher!.accuracy).toBeGreaterThan(m.majorityVsTeacher!.accuracy + 0.03);
    expect(m.vsTeacher!.macroF1).toBeGreaterThan(m.majorityVsTeacher!.macroF1 + 0.1);
    expect(m.vsHuman!.total).toBeGreaterThan(0);
    expect(m.scoring.items).toBe(await t.db.item.count({ where: { phaseId } }));
    expect(await t.db.studentScore.count({ where: { modelId: done.modelId! } })).toBe(m.scoring.items);
    // The default queue strategy's score is stored with the others: in [0, 1], and above 0 where the two models disagree.
    const doubts = await t.db.studentScore.findMany({ where: { modelId: done.modelId! }, select: { doubt: true, flip: true } });
    expect(doubts.every((d) => d.doubt >= 0 && d.doubt <= 1)).toBe(true);
    expect(doubts.filter((d) => d.flip).every((d) => d.doubt > 0)).toBe(true);
    expect(doubts.some((d) => d.doubt > 0)).toBe(true);
    // What the Models and round pages read.
    expect((await listModels(t.db)).find((x) => x.id === done.modelId)).toMatchObject({ roundNumber: round.number, deployed: false, phaseName: expect.any(String) });
    expect(await roundHeading(t.db, round.id)).toMatchObject({ id: round.id, number: round.number, taskName: expect.any(String) });

    const model = await t.db.studentModel.findUniqueOrThrow({ where: { id: done.modelId! } });
    const store = new LocalArtifactStore(join(dataDir, 'artifacts'));
    for (const f of ['student.onnx', 'vocab.json', 'config.json', 'model-card.md']) expect(await store.get(`${model.artifactKey}/${f}`), f).not.toBeNull();
    const onnx = await OnnxStudent.load(new Uint8Array((await store.get(`${model.artifactKey}/student.onnx`))!));
    const { probs, modelVersion } = await onnx.predict(['你好，这是一条普通的评论', '地域黑滚出去']);
    expect(modelVersion).toBe(`p${phaseId}.r${round.number}`);
    expect(await t.db.teacher.findFirstOrThrow({ where: { phaseId } })).toMatchObject({ name: 'test-teacher', version: '1' });
    expect(probs).toHaveLength(4);
    expect(Math.abs(probs[0] + probs[1] - 1)).toBeLessThan(1e-5);
    expect((await store.get(`${model.artifactKey}/model-card.md`))!.toString()).toContain('T = 2, alpha = 0.5');
  });

  it('Banking77: a 77-class round works like a binary one', async () => {
    const data = loadBanking77('train');
    const order = Array.from(data.texts.keys()).sort((x, y) => ((x * 7919) % 10007) - ((y * 7919) % 10007));
    const teacherIdx = order.slice(0, 4000);
    const poolIdx = order.slice(4000, 7000);
    const phaseId = await phaseWithTeacher(
      t,
      `banking-${provider}`,
      data.labelNames,
      teacherIdx.map((i) => data.texts[i]),
      Int32Array.from(teacherIdx, (i) => data.labels[i]),
      poolIdx.map((i) => ({ id: `b${i}`, text: data.texts[i], label: data.labelNames[data.labels[i]] })),
    );
    const round = await startRound(t.db, { phaseId, config: { train: { epochs: 4, seed: 1 } } });
    const w = startWorkerProcess({ ...env(), WORKER_ID: 'banking' });
    workers.push(w);
    const done = await waitFor('the Banking77 round', async () => {
      const r = await getRound(t.db, round.id);
      if (r.status === 'failed') throw new Error(`round failed: ${r.error}`);
      return r.status === 'succeeded' ? r : null;
    }, () => w.lines, 240_000, 250);
    w.kill();
    const m = done.metrics!;
    expect(m.vsTeacher!.labels).toHaveLength(77);
    expect(m.vsTeacher!.confusion).toHaveLength(77);
    expect(m.vsTeacher!.accuracy).toBeGreaterThan(Math.max(0.3, m.majorityVsTeacher!.accuracy * 5));

    // Items imported after the round: the next queue rebuild scores them with the round's student
    // (they used to rank last, disagreement 0, until another round). A teacher that cannot decide
    // (uniform probabilities) on them makes them the most doubtful items of the pool.
    const fresh = order.slice(7000, 7020);
    await importFile(t.db, { phaseId, format: 'jsonl', stream: () => jsonl(fresh.map((i) => ({ id: `new${i}`, text: data.texts[i] }))) });
    const newIds = (await t.db.item.findMany({ where: { phaseId, externalId: { in: fresh.map((i) => `new${i}`) } }, select: { id: true } })).map((r) => r.id);
    expect(newIds).toHaveLength(20);
    const teacherRow = await t.db.teacher.findFirstOrThrow({ where: { phaseId } });
    await writeTeacherPredictions(t.db, { phaseId }, newIds, { probs: new Float32Array(20 * 77).fill(1 / 77), numClasses: 77, modelVersion: teacherModelVersion(teacherRow.name, teacherRow.version) });
    const model = await t.db.studentModel.findFirstOrThrow({ where: { phaseId }, orderBy: { id: 'desc' } });
    expect(await t.db.studentScore.count({ where: { modelId: model.id, itemId: { in: newIds } } })).toBe(0);
    await t.db.phase.update({ where: { id: phaseId }, data: { queueStrategy: 'doubt' } });
    const rebuilt = await rebuildQueue(t.db, phaseId);
    expect(rebuilt).toMatchObject({ modelId: model.id, newlyScored: 20 });
    const scores = await t.db.studentScore.findMany({ where: { modelId: model.id, itemId: { in: newIds } } });
    expect(scores).toHaveLength(20);
    expect(scores.filter((s) => s.doubt > 0.5).length).toBeGreaterThanOrEqual(15);
    // The queue interleaves teacher classes; the teacher's (tied) label for them is the first class,
    // whose items they now lead instead of trailing.
    const entries = await t.db.queueEntry.findMany({ where: { phaseId, teacherLabel: data.labelNames[0] }, orderBy: { rank: 'asc' }, select: { itemId: true } });
    const position = new Map(entries.map((e, k) => [e.itemId, k]));
    const positions = newIds.map((id) => position.get(id)!).sort((a, b) => a - b);
    expect(entries.length).toBeGreaterThan(40);
    expect(positions[14]).toBeLessThan(25);
    // A second rebuild has nothing new to score.
    expect((await rebuildQueue(t.db, phaseId)).newlyScored).toBe(0);
  });
});
