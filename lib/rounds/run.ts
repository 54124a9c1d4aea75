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
import { buildVocab, vocabFromJSON, type FeatureVocab } from '../ml/features.ts';
import { prepareDistillationTargets } from '../ml/loss.ts';
import { trainStudent, encodeCheckpoint, weightsFromCheckpoint, type TrainProgress, type EpochSummary } from '../ml/train.ts';
import { predictProbs, type StudentWeights } from '../ml/model.ts';
import { decodeWeights, encodeWeights } from '../ml/weights.ts';
import { accuracy } from '../ml/metrics.ts';
import { exportOnnx } from '../ml/onnx.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { studentModelVersion } from '../ml/predictor.ts';
import { parseTrainConfig } from '../ml/config.ts';
import { heldOutFoldsOf, parseRoundConfig, warmStartOf, type RoundConfig } from './config.ts';
import { heldOutProbs } from './held-out.ts';
import { selectProbs, selectRows } from './data.ts';
import { goodStudents } from '../models/regression.ts';
import { better, epochScore, patienceSpent, type EpochChoice } from './select.ts';
import { decide, phaseMeta, type PhaseMeta } from '../tasks/phase.ts';
import { loadPhaseRows, type PhaseRows } from '../tasks/items.ts';
import { decodeProbsInto } from '../db/probs.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { correctionWeights, trainingSet, type TrainSetSnapshot } from './training-set.ts';
import { writeStudentScores } from './scores.ts';
import { rebuildQueue } from '../queue/rebuild.ts';
import { scoringEtaSeconds, trainingEtaSeconds } from '../jobs/progress.ts';

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
  /** Held-out pool scoring: the fold being trained. */
  fold?: number;
  folds?: number;
  /** Seconds left in this stage, estimated when written (lib/jobs/progress.ts); an upper bound when etaAtMost. */
  etaSeconds?: number | null;
  etaAtMost?: boolean;
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
  /** The student this round fine-tuned (warm start), or null when it trained from scratch. */
  warmFrom: number | null;
  /** The held-out trusted labels: the epoch kept, and the student's accuracy on them. */
  validation: { items: number; accuracy: number; bestEpoch: number; epochs: number[] } | null;
  regression: RegressionCheck | null;
}

/**
 * The regression guard: the new student against the best earlier student of the phase on the
 * same validation items (every student scores every item, so earlier students are compared on
 * today's slice). Flagged when it is below the best by more than its standard error; a flagged
 * student neither ranks the queue nor becomes the start point of the next round.
 */
export interface RegressionCheck {
  flagged: boolean;
  accuracy: number;
  se: number;
  items: number;
  best: { modelId: number; roundNumber: number; accuracy: number } | null;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

export function modelArtifactKey(phaseId: number, roundNumber: number): string {
  return `models/phase-${phaseId}/round-${roundNumber}`;
}

async function updateRound(db: Db, roundId: number, data: Record<string, unknown>) {
  await db.round.update({ where: { id: roundId }, data });
}

interface WarmStart {
  modelId: number;
  weights: StudentWeights;
  vocab: FeatureVocab;
}

/**
 * The student to fine-tune: the phase's newest earlier student that is not rejected nor flagged
 * as a regression, with the same architecture, shape and label count, whose weights were kept.
 * The choice is stored with the round so that a resumed round makes the same one.
 */
async function warmStartFrom(db: Db, store: ArtifactStore, roundKey: string, phase: PhaseMeta, roundId: number, config: RoundConfig): Promise<WarmStart | null> {
  const key = `${roundKey}/warm.json`;
  const saved = await store.get(key);
  let modelId: number | null = saved ? dec<{ modelId: number | null }>(saved).modelId : null;
  if (!saved) {
    if (warmStartOf(config)) {
      for (const m of await goodStudents(db, phase.id, roundId)) {
        const cfg = JSON.parse(m.config) as { student?: unknown; labels?: string[] };
        if (JSON.stringify(cfg.student) !== JSON.stringify(config.model) || cfg.labels?.length !== phase.labels.length) continue;
        if (!(await store.get(`${m.artifactKey}/weights.bin`))) continue;
        modelId = m.id;
        break;
      }
    }
    await store.put(key, enc({ modelId }));
  }
  if (modelId == null) return null;
  const m = await db.studentModel.findUniqueOrThrow({ where: { id: modelId } });
  const [w, v] = await Promise.all([store.get(`${m.artifactKey}/weights.bin`), store.get(`${m.artifactKey}/vocab.json`)]);
  if (!w || !v) throw new Error(`the weights of model ${modelId}, which this round fine-tunes, are gone`);
  return { modelId, weights: decodeWeights(w), vocab: vocabFromJSON(dec(v)) };
}

/** The snapshot's items with their texts, teacher targets, human labels and base weights, aligned. */
async function trainingData(db: Db, phase: PhaseMeta, config: RoundConfig, snap: TrainSetSnapshot, rows: PhaseRows | undefined, log: (m: string) => void) {
  const C = phase.labels.length;
  const loaded = rows ?? (await loadPhaseRows(db, phase, 'train', Int32Array.from([...snap.ids, ...snap.validation.ids])));
  const at = new Map(Array.from(loaded.ids, (id, i) => [id, i]));
  const order = snap.ids.map((id) => at.get(id)).filter((i): i is number => i !== undefined);
  if (order.length !== snap.ids.length) log(`${snap.ids.length - order.length} snapshot items were deleted since; training without them`);
  const snapIndex = new Map(snap.ids.map((id, k) => [id, k]));
  const teacherProbs = new Float32Array(order.length * C);
  order.forEach((i, k) => teacherProbs.set(loaded.teacherProbs.subarray(i * C, i * C + C), k * C));
  const valOrder = snap.validation.ids.map((id, k) => ({ i: at.get(id), label: snap.validation.labels[k] })).filter((v): v is { i: number; label: number } => v.i !== undefined);
  return {
    itemIds: order.map((i) => loaded.ids[i]),
    texts: order.map((i) => loaded.texts[i]),
    teacherProbs,
    hasTeacher: Uint8Array.from(order, (i) => (config.useTeacher ? loaded.hasTeacher[i] : 0)),
    human: Int32Array.from(order, (i) => snap.hard[snapIndex.get(loaded.ids[i])!]),
    base: Float32Array.from(order, (i) => snap.base[snapIndex.get(loaded.ids[i])!]),
    validation: { texts: valOrder.map((v) => loaded.texts[v.i]), labels: Int32Array.from(valOrder, (v) => v.label) },
  };
}

/** Accuracy of a phase decision against labels. */
function decisionAccuracy(phase: PhaseMeta, probs: Float32Array, labels: Int32Array): number {
  return accuracy(decide(phase, probs), labels);
}

/**
 * Compares the new student with the earlier ones on the round's validation items, from the
 * scores every student stored for them.
 */
async function regressionCheck(db: Db, phase: PhaseMeta, roundId: number, valIds: number[], valLabels: Int32Array, newProbs: Float32Array): Promise<RegressionCheck | null> {
  if (!valIds.length) return null;
  const C = phase.labels.length;
  const acc = decisionAccuracy(phase, newProbs, valLabels);
  const se = Math.sqrt((acc * (1 - acc)) / valIds.length);
  let best: RegressionCheck['best'] = null;
  for (const m of await goodStudents(db, phase.id, roundId)) {
    const scores = await db.studentScore.findMany({ where: { modelId: m.id, itemId: { in: valIds } }, select: { itemId: true, probs: true } });
    if (scores.length !== valIds.length) continue;
    const byId = new Map(scores.map((s) => [s.itemId, s.probs]));
    const probs = new Float32Array(valIds.length * C);
    valIds.forEach((id, k) => decodeProbsInto(byId.get(id)!, C, probs, k * C));
    const a = decisionAccuracy(phase, probs, valLabels);
    if (!best || a > best.accuracy) best = { modelId: m.id, roundNumber: m.round.number, accuracy: a };
  }
  return { flagged: best != null && acc < best.accuracy - se, accuracy: acc, se, items: valIds.length, best };
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

  // 1. The training set (snapshotted), and the texts and targets of its items.
  // Keyed by id and creation time: a database reset restarts ids, and must not meet old files.
  const roundKey = `rounds/${roundId}-${round.createdAt.getTime()}`;
  const built = await trainingSet(db, store, `${roundKey}/trainset.json`, roundId, phase, config);
  const snap = built.snap;
  const data = await trainingData(db, phase, config, snap, built.rows, log);

  // 2. Where training starts: the last good student (its vocabulary and weights), or from scratch
  // with a vocabulary built from the snapshot (deterministic, so a resumed run gets the same one).
  const warm = await warmStartFrom(db, store, roundKey, phase, roundId, config);
  if (warm) log(`fine-tuning model ${warm.modelId} for ${config.warmEpochs} epochs`);
  const vocab = warm?.vocab ?? buildVocab(config.model, data.texts);
  const ids = vocab.encodeAll(data.texts, config.model.maxLen);
  const valIds = vocab.encodeAll(data.validation.texts, config.model.maxLen);
  const boost = correctionWeights(data.teacherProbs, data.hasTeacher, data.human, C, config.correctionBoost);
  const baseWeights = Float32Array.from(data.base, (w, i) => w * boost[i]);
  const targets = prepareDistillationTargets({ numClasses: C, teacherProbs: data.teacherProbs, humanLabels: data.human, humanWeight: config.humanWeight, keepTeacherForHuman: config.keepTeacherForHuman, baseWeights });
  // An item without a teacher output trains on its human label alone.
  for (let i = 0; i < data.hasTeacher.length; i++) if (!data.hasTeacher[i]) targets.softMask[i] = 0;
  const train = warm ? { ...config.train, epochs: config.warmEpochs } : config.train;

  // 3. Train, checkpointing after every epoch; keep the epoch that does best on the validation slice.
  const cpKey = `${roundKey}/checkpoint.bin`;
  const bestKey = `${roundKey}/best`;
  const resumeFrom = (await store.get(cpKey)) ?? undefined;
  if (resumeFrom) log(`resuming round ${roundId} from its last checkpoint`);
  const savedBest = await store.get(`${bestKey}.json`);
  // A checkpoint of an older version stored { epoch, accuracy } only: its score is its accuracy.
  const saved = savedBest ? dec<Partial<EpochChoice> & { epoch: number; accuracy: number; epochs?: number[] }>(savedBest) : null;
  let best: EpochChoice | null = saved ? { epoch: saved.epoch, accuracy: saved.accuracy, score: saved.score ?? saved.accuracy } : null;
  const valScores: number[] = saved?.epochs ?? [];
  let history: EpochSummary[] = [];
  const etaAtMost = config.patience > 0 && data.validation.labels.length > 0;
  const epochCap = parseTrainConfig(train, config.model.arch).epochs;
  const started = performance.now();
  const result = await trainStudent({
    model: config.model,
    train,
    data: { ids, ...targets },
    numClasses: C,
    vocabSize: vocab.size,
    vocab: vocab.toJSON(),
    signal: ctx.signal,
    initFrom: warm?.weights,
    // Early stopping: `patience` epochs since the best validation score (a tie moves the best later).
    shouldStop: () => patienceSpent(best, valScores.length, config.patience),
    resumeFrom: resumeFrom ? new Uint8Array(resumeFrom) : undefined,
    onProgress: (p: TrainProgress) => {
      const etaSeconds = trainingEtaSeconds(p, history.map((h) => h.seconds));
      // Early stopping can only skip epochs after this one.
      void report({ stage: 'training', ...p, history, etaSeconds, etaAtMost: etaAtMost && p.epoch + 1 < p.epochs }).catch(() => {});
    },
    onEpochEnd: async (cp) => {
      if (data.validation.labels.length) {
        const w = weightsFromCheckpoint(cp);
        const probs = predictProbs(w, valIds);
        const decisions = decide(phase, probs);
        const a = accuracy(decisions, data.validation.labels);
        valScores.push(a);
        const next: EpochChoice = { epoch: cp.epoch, accuracy: a, score: epochScore(config.selectBy, probs, data.validation.labels, C, decisions) };
        if (better(best, next)) {
          best = next;
          await store.put(`${bestKey}.bin`, encodeWeights(w));
        }
        await store.put(`${bestKey}.json`, enc({ ...best, epochs: valScores }));
      }
      await store.put(cpKey, encodeCheckpoint(cp));
      history = cp.history ?? history;
      log(`epoch ${cp.epoch}/${train.epochs} done${valScores.length ? ` (validation accuracy ${valScores[valScores.length - 1].toFixed(4)})` : ''}`);
      const done = history.map((h) => h.seconds);
      const etaSeconds = cp.epoch < epochCap && done.length ? (epochCap - cp.epoch) * (done.reduce((a, b) => a + b, 0) / done.length) : null;
      await report({ stage: 'training', epoch: cp.epoch, epochs: epochCap, history, etaSeconds, etaAtMost }, true);
    },
  });
  history = result.history;
  const kept: EpochChoice | null = best;
  let weights = result.weights;
  if (kept && kept.epoch !== result.history.length) {
    const bytes = await store.get(`${bestKey}.bin`);
    if (bytes) weights = decodeWeights(bytes);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  await updateRound(db, roundId, { backend: result.backend });

  // 4. Artifacts: ONNX, vocabulary, config, and the weights the next round may fine-tune.
  await report({ stage: 'exporting', history }, true);
  const key = modelArtifactKey(phase.id, round.number);
  const onnx = exportOnnx(weights, { vocab: vocab.toJSON(), modelVersion: studentModelVersion(phase.id, round.number), metadata: { 'distillery.round': String(round.number), 'distillery.phase': String(phase.id), 'distillery.labels': JSON.stringify(phase.labels) } });
  const modelConfig = { labels: phase.labels, threshold: phase.threshold, positiveLabel: phase.positiveLabel, student: config.model, train, humanWeight: config.humanWeight, tokenizer: vocab.toJSON().tokenizer, input: 'input_ids int64 [batch, seq] (0 = padding)', output: 'probs float32 [batch, labels]' };
  await store.put(`${key}/student.onnx`, onnx);
  await store.put(`${key}/vocab.json`, enc(vocab.toJSON()));
  await store.put(`${key}/config.json`, enc(modelConfig));
  await store.put(`${key}/weights.bin`, encodeWeights(weights));

  // 5. Score every item of the phase (the pool the queue ranks, the validation and the test
  // slice) with the exported model, then evaluate it on the temporal test slice from those scores.
  const student = await OnnxStudent.load(onnx, { intraOpThreads: 1 });
  const all = await loadPhaseRows(db, phase, 'all');
  // The pool's training items are scored by students that did not train on them (held-out).
  const folds = heldOutFoldsOf(config);
  const heldOut = folds > 0 ? await heldOutProbs({ config, vocab, ids, targets, itemIds: data.itemIds, numClasses: C, folds, signal: ctx.signal, onFold: (f) => report({ stage: 'scoring', fold: f + 1, folds, history }, true) }) : null;
  await report({ stage: 'scoring', scored: 0, total: all.ids.length, history }, true);
  const t0 = performance.now();
  const allProbs = new Float32Array(all.ids.length * C);
  const chunk = 20_000;
  for (let s = 0; s < all.ids.length; s += chunk) {
    allProbs.set((await student.predict(all.texts.slice(s, s + chunk))).probs, s * C);
    const scored = Math.min(all.ids.length, s + chunk);
    await report({ stage: 'scoring', scored, total: all.ids.length, history, etaSeconds: scoringEtaSeconds(scored, all.ids.length, (performance.now() - t0) / 1000) });
  }
  const scoreSeconds = (performance.now() - t0) / 1000;
  if (heldOut) {
    const rowOf = new Map(Array.from(all.ids, (id, i) => [id, i]));
    heldOut.rows.forEach((r, k) => {
      const i = rowOf.get(data.itemIds[r]);
      if (i !== undefined) allProbs.set(heldOut.probs.subarray(k * C, k * C + C), i * C);
    });
  }

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
    trainExamples: data.texts.length,
    humanLabelled: data.human.reduce((a, h) => a + (h >= 0 ? 1 : 0), 0),
    vocabSize: vocab.size,
    backend: result.backend,
    trainSeconds,
    trainExamplesPerSecond: history.length ? history.reduce((a, h) => a + h.examples, 0) / history.reduce((a, h) => a + h.seconds, 0) : 0,
    history,
    scoring: { items: all.ids.length, seconds: scoreSeconds, itemsPerSecond: all.ids.length / scoreSeconds, meanJs: 0, flips: 0 },
    latency: { batch1P50Ms: lat[Math.floor(lat.length * 0.5)] ?? 0, batch1P95Ms: lat[Math.floor(lat.length * 0.95)] ?? 0 },
    sampling: { kind: config.sampling, guidedBy: snap.guidedBy },
    warmFrom: warm?.modelId ?? null,
    validation: kept ? { items: data.validation.labels.length, accuracy: kept.accuracy, bestEpoch: kept.epoch, epochs: valScores } : null,
    regression: null,
  };
  const model = await db.studentModel.upsert({
    where: { roundId },
    create: { roundId, phaseId: phase.id, arch: config.model.arch, artifactKey: key, config: JSON.stringify(modelConfig), metrics: JSON.stringify(metrics) },
    update: { artifactKey: key, config: JSON.stringify(modelConfig), metrics: JSON.stringify(metrics) },
  });
  const written = await writeStudentScores(db, model.id, all.ids, all.teacherProbs, all.hasTeacher, allProbs, C);
  metrics.scoring.meanJs = written.meanJs;
  metrics.scoring.flips = written.flips;
  const at = new Map(Array.from(all.ids, (id, i) => [id, i]));
  const val = snap.validation.ids.flatMap((id, k) => (at.has(id) ? [{ id, row: at.get(id)!, label: snap.validation.labels[k] }] : []));
  const valProbs = new Float32Array(val.length * C);
  val.forEach((v, k) => valProbs.set(allProbs.subarray(v.row * C, v.row * C + C), k * C));
  metrics.regression = await regressionCheck(db, phase, roundId, val.map((v) => v.id), Int32Array.from(val, (v) => v.label), valProbs);
  if (metrics.regression?.flagged) log(`round ${round.number} is a regression: validation accuracy ${metrics.regression.accuracy.toFixed(4)} against ${metrics.regression.best!.accuracy.toFixed(4)} of round ${metrics.regression.best!.roundNumber} (± ${metrics.regression.se.toFixed(4)}); it will not rank the queue nor be fine-tuned`);
  await store.put(`${key}/model-card.md`, new TextEncoder().encode(modelCard(phase, round.number, config, metrics)));
  await db.studentModel.update({ where: { id: model.id }, data: { metrics: JSON.stringify(metrics) } });
  await rebuildQueue(db, phase.id); // the new scores re-rank the disagreement queue (unless flagged)
  await updateRound(db, roundId, { status: 'succeeded', finishedAt: new Date(), metrics: JSON.stringify(metrics), progress: JSON.stringify({ stage: 'done', history }) });
  await store.delete(cpKey);
  await store.delete(`${bestKey}.bin`);
  return { modelId: model.id, metrics };
}

const pct = (x: number | undefined) => (x == null ? '—' : (100 * x).toFixed(1) + '%');

export function modelCard(phase: PhaseMeta, roundNumber: number, config: RoundConfig, m: RoundMetrics): string {
  const train = parseTrainConfig(config.train, config.model.arch);
  return `# Student model — phase ${phase.id}, round ${roundNumber}

- Architecture: ${config.model.arch} ${JSON.stringify(config.model)}
- Labels: ${phase.labels.join(', ')}${phase.threshold != null ? ` (decision: P(${phase.positiveLabel}) ≥ ${phase.threshold})` : ' (decision: argmax)'}
- Distillation: T = ${train.temperature}, alpha = ${train.alpha}, loss = ${train.loss}, epochs = ${train.epochs}, batch = ${train.batchSize}, lr = ${train.learningRate}
- Teacher: ${config.useTeacher ? 'soft targets from the phase\'s teachers' : 'none (human labels only)'}; human label weight: ${config.humanWeight}; sampling: ${config.sampling}${m.sampling.guidedBy ? ` (guided by model ${m.sampling.guidedBy})` : ''}
- Training data: ${m.trainExamples} items, ${m.humanLabelled} with human labels; vocabulary ${m.vocabSize}${m.warmFrom ? `; fine-tuned from model ${m.warmFrom}` : '; trained from scratch'}
- Validation slice (held-out trusted labels): ${m.validation ? `${m.validation.items} items, accuracy ${pct(m.validation.accuracy)} at epoch ${m.validation.bestEpoch}` : 'none'}${m.regression?.flagged ? ` — **regression**: below round ${m.regression.best?.roundNumber} (${pct(m.regression.best?.accuracy)}) by more than its standard error` : ''}
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
