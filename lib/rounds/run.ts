/**
 * One retraining round, as the worker runs it:
 *   snapshot the training set → build the vocabulary → train (checkpoint every epoch) →
 *   export ONNX + vocab + config + model card → evaluate the exported model on the temporal
 *   test slice → record the student → score every item of the phase with onnxruntime.
 *
 * A worker killed at any point is replaced by another that runs this again: the snapshot and
 * the last checkpoint are reused, the student row is keyed by the round (so there is exactly
 * one), and scores are rewritten whole.
 */
import type { Db } from '../db/client.ts';
import { unprocessable } from '../errors.ts';
import { artifactStore, type ArtifactStore } from '../artifacts/store.ts';
import { Vocab } from '../ml/tokenizer.ts';
import { prepareDistillationTargets } from '../ml/loss.ts';
import { trainStudent, encodeCheckpoint, type TrainProgress, type EpochSummary } from '../ml/train.ts';
import { exportOnnx } from '../ml/onnx.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { studentModelVersion } from '../ml/predictor.ts';
import { parseRoundConfig, type RoundConfig } from './config.ts';
import { lastStudentLoss, loadPhaseRows, phaseMeta, selectProbs, selectRows, type PhaseMeta, type PhaseRows } from './data.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { writeStudentScores } from './scores.ts';
import { rebuildQueue } from '../queue/rebuild.ts';

export interface RoundProgress {
  stage: 'loading' | 'training' | 'exporting' | 'evaluating' | 'scoring' | 'done';
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  examplesPerSecond?: number;
  history?: EpochSummary[];
  scored?: number;
  total?: number;
}

export interface RoundContext {
  signal?: AbortSignal;
  /** Called with progress; throws when the job must stop (cancel, lease lost). */
  heartbeat?: (progress: RoundProgress) => Promise<void>;
  log?: (message: string) => void;
  store?: ArtifactStore;
}

export interface RoundMetrics extends Evaluation {
  trainExamples: number;
  humanLabelled: number;
  vocabSize: number;
  backend: string;
  trainSeconds: number;
  trainExamplesPerSecond: number;
  history: EpochSummary[];
  scoring: { items: number; seconds: number; itemsPerSecond: number; meanJs: number; flips: number };
  latency: { batch1P50Ms: number; batch1P95Ms: number };
  sampling: { kind: RoundConfig['sampling']; guidedBy: number | null };
}

interface TrainSetSnapshot {
  ids: number[];
  hard: number[];
  base: number[];
  guidedBy: number | null;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

export function modelArtifactKey(phaseId: number, roundNumber: number): string {
  return `models/${studentModelVersion(phaseId, roundNumber)}`;
}

async function updateRound(db: Db, roundId: number, data: Record<string, unknown>) {
  await db.round.update({ where: { id: roundId }, data });
}

/**
 * Builds (or reloads) the round's training set: which items, with which hard labels and base
 * weights. When it builds it, it also returns the train rows it loaded, so they are not read twice.
 */
async function trainSet(db: Db, store: ArtifactStore, roundKey: string, roundId: number, phase: PhaseMeta, config: RoundConfig): Promise<{ snap: TrainSetSnapshot; rows?: PhaseRows }> {
  const key = `${roundKey}/trainset.json`;
  const saved = await store.get(key);
  if (saved) return { snap: dec<TrainSetSnapshot>(saved) };
  const rows = await loadPhaseRows(db, phase, 'train');
  const keep: number[] = [];
  for (let i = 0; i < rows.ids.length; i++) if ((config.useTeacher && rows.hasTeacher[i]) || rows.human[i] >= 0) keep.push(i);
  let chosen = keep;
  if (config.maxExamples > 0 && chosen.length > config.maxExamples) chosen = chosen.slice(chosen.length - config.maxExamples);
  const last = config.sampling === 'loss' ? await lastStudentLoss(db, phase.id, roundId) : null;
  let base = chosen.map(() => 1);
  if (last) {
    // Oversample where the last student failed: weight ∝ its loss on the teacher's label, clamped.
    const losses = chosen.map((i) => last.loss.get(rows.ids[i]) ?? NaN);
    const known = losses.filter((l) => Number.isFinite(l));
    const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    base = losses.map((l) => (Number.isFinite(l) && mean > 0 ? Math.min(config.maxWeight, Math.max(config.minWeight, l / mean)) : 1));
  }
  // Permanent (4xx): retrying cannot help until data arrives, and an empty snapshot must not be kept.
  if (!chosen.length) throw unprocessable(`phase ${phase.id} has no training items with ${config.useTeacher ? 'a teacher output or ' : ''}a human label: import teacher outputs or label some items first`);
  const snap: TrainSetSnapshot = { ids: chosen.map((i) => rows.ids[i]), hard: chosen.map((i) => rows.human[i]), base, guidedBy: last?.modelId ?? null };
  await store.put(key, enc(snap));
  return { snap, rows };
}

export async function runRound(db: Db, roundId: number, ctx: RoundContext = {}): Promise<{ modelId: number; metrics: RoundMetrics }> {
  const store = ctx.store ?? artifactStore(db);
  const log = ctx.log ?? (() => {});
  const round = await db.round.findUniqueOrThrow({ where: { id: roundId } });
  const config = parseRoundConfig(JSON.parse(round.config));
  const phase = await phaseMeta(db, round.phaseId);
  const C = phase.labels.length;
  let lastBeat = 0;
  const report = async (p: RoundProgress, force = false) => {
    if (!force && Date.now() - lastBeat < 1000) return;
    lastBeat = Date.now();
    await updateRound(db, roundId, { progress: JSON.stringify(p) });
    await ctx.heartbeat?.(p);
  };
  await updateRound(db, roundId, { status: 'running', startedAt: round.startedAt ?? new Date(), error: null });
  await report({ stage: 'loading' }, true);

  // 1. The training set, and the texts and teacher outputs of its items.
  // Keyed by id and creation time: a database reset restarts ids, and must not meet old files.
  const roundKey = `rounds/${roundId}-${round.createdAt.getTime()}`;
  const built = await trainSet(db, store, roundKey, roundId, phase, config);
  const snap = built.snap;
  const rows = built.rows ?? (await loadPhaseRows(db, phase, 'train', Int32Array.from(snap.ids)));
  const at = new Map(Array.from(rows.ids, (id, i) => [id, i]));
  const order = snap.ids.map((id) => at.get(id)).filter((i): i is number => i !== undefined);
  if (order.length !== snap.ids.length) log(`${snap.ids.length - order.length} snapshot items were deleted since; training without them`);
  const texts = order.map((i) => rows.texts[i]);
  const teacherProbs = new Float32Array(order.length * C);
  order.forEach((i, k) => teacherProbs.set(rows.teacherProbs.subarray(i * C, i * C + C), k * C));
  const hasTeacher = Uint8Array.from(order, (i) => (config.useTeacher ? rows.hasTeacher[i] : 0));
  const snapIndex = new Map(snap.ids.map((id, k) => [id, k]));
  const human = Int32Array.from(order, (i) => snap.hard[snapIndex.get(rows.ids[i])!]);
  const base = Float32Array.from(order, (i) => snap.base[snapIndex.get(rows.ids[i])!]);

  // 2. Vocabulary (deterministic from the snapshot, so a resumed run gets the same one).
  const vocab = Vocab.build(texts);
  const ids = vocab.encodeAll(texts, config.model.maxLen);
  const targets = prepareDistillationTargets({ numClasses: C, teacherProbs, humanLabels: human, humanWeight: config.humanWeight, keepTeacherForHuman: config.keepTeacherForHuman, baseWeights: base });
  // An item without a teacher output trains on its human label alone.
  for (let i = 0; i < hasTeacher.length; i++) if (!hasTeacher[i]) targets.softMask[i] = 0;

  // 3. Train, checkpointing after every epoch.
  const cpKey = `${roundKey}/checkpoint.bin`;
  const resumeFrom = (await store.get(cpKey)) ?? undefined;
  if (resumeFrom) log(`resuming round ${roundId} from its last checkpoint`);
  let history: EpochSummary[] = [];
  const started = performance.now();
  const result = await trainStudent({
    model: config.model,
    train: config.train,
    data: { ids, ...targets },
    numClasses: C,
    vocabSize: vocab.size,
    vocab: vocab.toJSON(),
    signal: ctx.signal,
    resumeFrom: resumeFrom ? new Uint8Array(resumeFrom) : undefined,
    onProgress: (p: TrainProgress) => {
      void report({ stage: 'training', ...p, history }).catch(() => {});
    },
    onEpochEnd: async (cp) => {
      await store.put(cpKey, encodeCheckpoint(cp));
      history = cp.history ?? history;
      log(`epoch ${cp.epoch}/${config.train.epochs} done`);
      await report({ stage: 'training', epoch: cp.epoch, epochs: config.train.epochs, history }, true);
    },
  });
  history = result.history;
  const trainSeconds = (performance.now() - started) / 1000;
  await updateRound(db, roundId, { backend: result.backend });

  // 4. Export.
  await report({ stage: 'exporting', history }, true);
  const key = modelArtifactKey(phase.id, round.number);
  const onnx = exportOnnx(result.weights, { vocab: vocab.toJSON(), modelVersion: studentModelVersion(phase.id, round.number), metadata: { 'distillery.round': String(round.number), 'distillery.phase': String(phase.id), 'distillery.labels': JSON.stringify(phase.labels) } });
  const modelConfig = { labels: phase.labels, threshold: phase.threshold, positiveLabel: phase.positiveLabel, student: config.model, train: config.train, humanWeight: config.humanWeight, tokenizer: vocab.toJSON().tokenizer, input: 'input_ids int64 [batch, seq] (0 = padding)', output: 'probs float32 [batch, labels]' };
  await store.put(`${key}/student.onnx`, onnx);
  await store.put(`${key}/vocab.json`, enc(vocab.toJSON()));
  await store.put(`${key}/config.json`, enc(modelConfig));

  // 5. Score every item of the phase (the pool the queue ranks, and the test slice) with the
  // exported model, then evaluate it on the temporal test slice from those same scores.
  const student = await OnnxStudent.load(onnx, { intraOpThreads: 1 });
  const all = await loadPhaseRows(db, phase, 'all');
  await report({ stage: 'scoring', scored: 0, total: all.ids.length, history }, true);
  const t0 = performance.now();
  const allProbs = new Float32Array(all.ids.length * C);
  const chunk = 20_000;
  for (let s = 0; s < all.ids.length; s += chunk) {
    allProbs.set((await student.predict(all.texts.slice(s, s + chunk))).probs, s * C);
    await report({ stage: 'scoring', scored: Math.min(all.ids.length, s + chunk), total: all.ids.length, history });
  }
  const scoreSeconds = (performance.now() - t0) / 1000;

  await report({ stage: 'evaluating', history }, true);
  const test = selectRows(all, all.test, C);
  const testProbs = selectProbs(allProbs, all.test, C);
  const evaluation = evaluate(phase, testProbs, test.teacherProbs, test.hasTeacher, test.human);
  const lat: number[] = [];
  for (const t of test.texts.slice(0, 200)) {
    const s = performance.now();
    await student.predict([t]);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  await student.release();

  const metrics: RoundMetrics = {
    ...evaluation,
    trainExamples: order.length,
    humanLabelled: human.reduce((a, h) => a + (h >= 0 ? 1 : 0), 0),
    vocabSize: vocab.size,
    backend: result.backend,
    trainSeconds,
    trainExamplesPerSecond: history.length ? history.reduce((a, h) => a + h.examples, 0) / history.reduce((a, h) => a + h.seconds, 0) : 0,
    history,
    scoring: { items: all.ids.length, seconds: scoreSeconds, itemsPerSecond: all.ids.length / scoreSeconds, meanJs: 0, flips: 0 },
    latency: { batch1P50Ms: lat[Math.floor(lat.length * 0.5)] ?? 0, batch1P95Ms: lat[Math.floor(lat.length * 0.95)] ?? 0 },
    sampling: { kind: config.sampling, guidedBy: snap.guidedBy },
  };
  const model = await db.studentModel.upsert({
    where: { roundId },
    create: { roundId, phaseId: phase.id, arch: config.model.arch, artifactKey: key, config: JSON.stringify(modelConfig), metrics: JSON.stringify(metrics) },
    update: { artifactKey: key, config: JSON.stringify(modelConfig), metrics: JSON.stringify(metrics) },
  });
  const written = await writeStudentScores(db, model.id, all.ids, all.teacherProbs, all.hasTeacher, allProbs, C);
  metrics.scoring.meanJs = written.meanJs;
  metrics.scoring.flips = written.flips;
  await store.put(`${key}/model-card.md`, new TextEncoder().encode(modelCard(phase, round.number, config, metrics)));
  await db.studentModel.update({ where: { id: model.id }, data: { metrics: JSON.stringify(metrics) } });
  await rebuildQueue(db, phase.id); // the new scores re-rank the disagreement queue
  await updateRound(db, roundId, { status: 'succeeded', finishedAt: new Date(), metrics: JSON.stringify(metrics), progress: JSON.stringify({ stage: 'done', history }) });
  await store.delete(cpKey);
  return { modelId: model.id, metrics };
}

const pct = (x: number | undefined) => (x == null ? '—' : (100 * x).toFixed(1) + '%');

export function modelCard(phase: PhaseMeta, roundNumber: number, config: RoundConfig, m: RoundMetrics): string {
  return `# Student model — phase ${phase.id}, round ${roundNumber}

- Architecture: ${config.model.arch} ${JSON.stringify(config.model)}
- Labels: ${phase.labels.join(', ')}${phase.threshold != null ? ` (decision: P(${phase.positiveLabel}) ≥ ${phase.threshold})` : ' (decision: argmax)'}
- Distillation: T = ${config.train.temperature}, alpha = ${config.train.alpha}, loss = ${config.train.loss}, epochs = ${config.train.epochs}, batch = ${config.train.batchSize}, lr = ${config.train.learningRate}
- Teacher: ${config.useTeacher ? 'soft targets from the phase\'s teachers' : 'none (human labels only)'}; human label weight: ${config.humanWeight}; sampling: ${config.sampling}${m.sampling.guidedBy ? ` (guided by model ${m.sampling.guidedBy})` : ''}
- Training data: ${m.trainExamples} items, ${m.humanLabelled} with human labels; vocabulary ${m.vocabSize}
- Backend: ${m.backend}; training time ${m.trainSeconds.toFixed(1)} s (${Math.round(m.trainExamplesPerSecond)} examples/s)

## Temporal test slice (${m.testItems} items)
| against | accuracy | macro-F1 |
|---|---|---|
| teacher decision | ${pct(m.vsTeacher?.accuracy)} | ${pct(m.vsTeacher?.macroF1)} |
| human labels | ${pct(m.vsHuman?.accuracy)} | ${pct(m.vsHuman?.macroF1)} |
| (teacher vs human) | ${pct(m.teacherVsHuman?.accuracy)} | ${pct(m.teacherVsHuman?.macroF1)} |
| (majority class vs teacher) | ${pct(m.majorityVsTeacher?.accuracy)} | ${pct(m.majorityVsTeacher?.macroF1)} |

## Serving (onnxruntime-node, 1 thread)
- Scoring: ${Math.round(m.scoring.itemsPerSecond)} items/s over ${m.scoring.items} items
- Latency at batch 1: p50 ${m.latency.batch1P50Ms.toFixed(3)} ms, p95 ${m.latency.batch1P95Ms.toFixed(3)} ms

Files: student.onnx (opset 13; input input_ids int64 [batch, seq], 0 = padding; output probs), vocab.json, config.json.
`;
}
