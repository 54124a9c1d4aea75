import { z } from 'zod';
import { getDb, type Db } from '../db/client.ts';
import { artifactStore } from '../artifacts/store.ts';
import { readCold, type ColdRow } from '../datasets/cold.ts';
import { accuracy, classificationReport, predictLabels } from '../ml/metrics.ts';
import { enqueue } from '../jobs/queue.ts';
import { trainingEtaSeconds } from '../jobs/progress.ts';
import { jobHandler } from '../jobs/handler.ts';
import { phaseMeta } from '../tasks/phase.ts';
import { loadPhaseRows } from '../tasks/items.ts';
import { startRound } from '../rounds/rounds.ts';
import { REFERENCE_TEACHERS, ReferenceTeacher, memberSpans, referenceTeacher, trainTeacher } from '../teachers/reference.ts';
import { writeTeacherPredictions } from '../teachers/outputs.ts';
import { enqueueQueueRebuild } from '../queue/rebuild-job.ts';

export const DEMO_TEACHER_JOB = 'demo.teacher';

export const demoTeacherPayload = z.object({
  phaseId: z.number().int().positive(),
  /** Start round 0 of the phase once the teacher's outputs are in. */
  startRound: z.boolean().optional(),
  /** Which reference teacher (lib/teachers/reference.ts); the default one when absent. */
  teacher: z.string().optional(),
});
export type DemoTeacherPayload = z.infer<typeof demoTeacherPayload>;

/** The job's progress while it trains the ensemble, then evaluates and scores with it. */
/** The job's progress, in lib/jobs/progress.ts's conventions: `epoch` counts from 0 like a round's, `member` from 1. */
export type DemoTeacherProgress =
  | { stage: 'teacher'; member: number; members: number; memberStart: number; memberSpan: number; epoch: number; epochs: number; step: number; steps: number; loss: number; examplesPerSecond: number; etaSeconds: number | null }
  | { stage: 'teacher-eval' | 'teacher-scoring' };

const coldLabel = (phaseKey: string) =>
  phaseKey === 'offensive' ? (r: ColdRow) => (r.offensive ? 'offensive' : 'safe') : phaseKey === 'topic' ? (r: ColdRow) => r.topic : null;

/** Phase 1's teacher (which starts round 0) runs first; later phases' teachers wait behind round 0. */
export async function enqueueDemoTeacher(db: Db, payload: DemoTeacherPayload) {
  return enqueue(db, { type: DEMO_TEACHER_JOB, payload, dedupeKey: `demo-teacher:${payload.phaseId}`, maxAttempts: 5, priority: payload.startRound ? 10 : -10 });
}

/**
 * Trains the reference teacher on COLD's training file (gold labels of that file only), scores
 * every item of the phase with it, records the outputs under the teacher's name (replacing the
 * outputs of any other reference teacher of the phase, so an older demo database moves to the
 * new teacher), reports its accuracy and its members' on COLD's test file, and optionally starts
 * round 0. Resumable: trained ensemble members are kept as artifacts and not trained again.
 */
export const demoTeacherJob = jobHandler(demoTeacherPayload, async (job, ctx) => {
  const db = await getDb();
  const store = artifactStore(db);
  const phase = await phaseMeta(db, job.payload.phaseId);
  const key = (await db.phase.findUniqueOrThrow({ where: { id: phase.id } })).key;
  const toLabel = coldLabel(key);
  if (!toLabel) throw new Error(`the demo teacher knows COLD's phases "offensive" and "topic", not "${key}"`);
  const spec = referenceTeacher(job.payload.teacher);
  // Keyed by what the teacher learned (COLD, this phase's labels), not by a database id.
  const base = `teachers/cold-${key}/${spec.name}-v${spec.version}`;
  const cold = await readCold((m) => ctx.log(m));
  const train = cold.filter((r) => r.split === 'train');
  const labelIndex = new Map(phase.labels.map((l, i) => [l, i]));
  const labels = Int32Array.from(train, (r) => labelIndex.get(toLabel(r))!);
  const C = phase.labels.length;

  const done = await Promise.all(spec.members.map(async (_, m) => (await store.get(`${base}/member-${m}.onnx`)) ?? null));
  let last = 0;
  // Durations of the current member's finished epochs: the pace its time left goes by (members
  // differ a lot: the n-gram member's epoch takes a second, the TextCNN's a minute).
  let epochSeconds: number[] = [];
  let current: { member: number; epoch: number; seconds: number } | null = null;
  const memberSeconds: (number | null)[] = done.map(() => null);
  let memberStarted = Date.now();
  const trainingStarted = Date.now();
  const spans = memberSpans(spec);
  const teacher = await trainTeacher(spec, train.map((r) => r.text), labels, C, {
    done,
    signal: ctx.signal,
    onProgress: (m, p) => {
      if (current && current.member !== m) epochSeconds = [];
      else if (current && current.epoch !== p.epoch) epochSeconds.push(current.seconds);
      current = { member: m, epoch: p.epoch, seconds: p.seconds };
      if (Date.now() - last < 1000) return;
      last = Date.now();
      const members = spec.members.length;
      const { start: memberStart, span: memberSpan } = spans[m];
      const laterMembersCost = spans.slice(m + 1).reduce((a, x) => a + x.span, 0) / memberSpan;
      const etaSeconds = trainingEtaSeconds({ ...p, member: m + 1, members, laterMembersCost }, epochSeconds);
      void ctx.heartbeat({ stage: 'teacher', member: m + 1, members, memberStart, memberSpan, epoch: p.epoch, epochs: p.epochs, step: p.step, steps: p.steps, loss: p.loss, examplesPerSecond: Math.round(p.examplesPerSecond), etaSeconds } satisfies DemoTeacherProgress).catch(() => {});
    },
    onMember: async (m, onnx) => {
      await store.put(`${base}/member-${m}.onnx`, onnx);
      memberSeconds[m] = (Date.now() - memberStarted) / 1000;
      memberStarted = Date.now();
      ctx.log(`${spec.name}: member ${m + 1}/${spec.members.length} (${spec.members[m].model.arch}) trained in ${memberSeconds[m]!.toFixed(0)} s`);
    },
  });
  const trainSeconds = (Date.now() - trainingStarted) / 1000;

  // Held-out quality: COLD's test file, which the teacher never trained on.
  await ctx.heartbeat({ stage: 'teacher-eval' } satisfies DemoTeacherProgress);
  const test = cold.filter((r) => r.split === 'test');
  const gold = Int32Array.from(test, (r) => labelIndex.get(toLabel(r))!);
  const score = (probs: Float32Array) => {
    const predicted = predictLabels(probs, C);
    return { accuracy: accuracy(predicted, gold), macroF1: classificationReport(predicted, gold, C).macroF1 };
  };
  const testTexts = test.map((r) => r.text);
  const memberTest: ReturnType<typeof score>[] = [];
  for (const bytes of teacher.members) {
    const member = await ReferenceTeacher.load({ spec, members: [bytes] });
    memberTest.push(score((await member.predict(testTexts)).probs));
    await member.release();
  }
  const model = await ReferenceTeacher.load(teacher);
  const card = {
    name: spec.name,
    version: spec.version,
    trainedOn: `COLD train.csv gold labels (${train.length} items)`,
    members: spec.members.map((m, i) => ({ ...m, coldTest: memberTest[i], trainSeconds: memberSeconds[i] })),
    // Seconds this run trained (members kept from an interrupted run are not counted).
    trainSeconds,
    coldTest: { items: test.length, ...score((await model.predict(testTexts)).probs) },
    reference: 'COLD paper (Deng et al. 2022): fine-tuned RoBERTa detector ≈ 0.81 accuracy on the test set',
  };
  await store.put(`${base}/card.json`, new TextEncoder().encode(JSON.stringify(card, null, 2)));
  const f = (r: { accuracy: number; macroF1: number }) => `accuracy ${r.accuracy.toFixed(3)}, macro-F1 ${r.macroF1.toFixed(3)}`;
  ctx.log(`${spec.name} on COLD test: ${f(card.coldTest)} (members: ${memberTest.map(f).join('; ')}; COLD paper's RoBERTa ≈ 0.81)`);

  // Outputs for every item of the phase, by inference.
  await ctx.heartbeat({ stage: 'teacher-scoring' } satisfies DemoTeacherProgress);
  const all = await loadPhaseRows(db, phase, 'all');
  const prediction = await model.predict(all.texts);
  await model.release();
  await writeTeacherPredictions(db, { phaseId: phase.id }, all.ids, prediction);
  // One reference teacher per phase: the outputs of another (an older demo's) would be mixed in.
  const others = { phaseId: phase.id, name: { in: REFERENCE_TEACHERS.map((t) => t.name).filter((n) => n !== spec.name) } };
  await db.teacherPrediction.deleteMany({ where: { teacher: others } });
  const replaced = await db.teacher.deleteMany({ where: others });
  ctx.log(`${spec.name}: outputs recorded for ${all.ids.length} items of phase ${phase.id}${replaced.count ? ' (replacing the older reference teacher’s)' : ''}`);
  // Until round 0 scores the pool, the queue serves the items this teacher is least sure about.
  await enqueueQueueRebuild(db, phase.id, null, { audit: false });

  let roundId: number | null = null;
  if (job.payload.startRound && !(await db.round.findFirst({ where: { phaseId: phase.id } }))) {
    roundId = (await startRound(db, { phaseId: phase.id, config: {} })).id;
    ctx.log(`round 0 of phase ${phase.id} queued`);
  }
  return { teacher: card, roundId };
});
