/**
 * The correction loop, end to end through the product's own code paths: import (JSONL with the
 * teacher's probabilities, as a user with a real BERT imports) → round 0 → for each arm, 3 × (hand
 * out 100 items → an oracle annotator answers them with the hidden gold label through the queue's
 * submit → next round) → each round's evaluation on the phase's temporal test slice.
 *
 * The teacher is a real model (an n-gram logistic regression plus a wide TextCNN, averaged)
 * trained on a labelled slice that is NOT in the phase: its errors on the pool are real errors,
 * not memorised ones, as a BERT fine-tuned on other data would make. The phase holds a small
 * set of imported gold labels (round 0's human labels), the pool the oracle labels (gold hidden)
 * and the test slice (gold, newest by time). Arms: queue picks, random picks, no new labels.
 * Round 0 is trained once per seed and shared by the arms (its database and artifacts are copied).
 *
 *   npm run bench -- loop                      both datasets, 3 seeds, 3 rounds × 100
 *   LOOP_DATASETS=cold LOOP_SEEDS=1 LOOP_ARMS=queue,none npm run bench -- loop   a quick look
 *   LOOP_CONFIG='{"sampling":"loss"}'          round settings to try (merged over the defaults)
 *   LOOP_TFIDF=0                               skip the per-round TF-IDF + LR baseline (about half the time of a
 *                                              Banking77 run): for exploring settings, not for reported runs
 *   LOOP_DEV=1000                              a development slice to choose settings by: the last
 *                                              1,000 pool rows are kept out of the phase (the pool
 *                                              shrinks by as many) and every round's student is
 *                                              scored on them against gold (`dev_acc`); never the test slice
 *
 * Every round also records `val_acc`: the round's student on the phase's own validation slice
 * (held-out imported gold labels, the same items in every arm and seed; about 150 items, noisy).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../lib/artifacts/store.ts';
import { createUser } from '../lib/auth/users.ts';
import { createDatabase, tuneSqlite, type Database } from '../lib/db/client.ts';
import { migrate } from '../lib/db/migrate.ts';
import { decodeProbs, encodeProbs } from '../lib/db/probs.ts';
import { placeholders } from '../lib/db/sql.ts';
import { importFile } from '../lib/import/importer.ts';
import { loadBanking77, loadCold, shuffledIndices, type LabelledTexts } from '../lib/ml/datasets.ts';
import { accuracy, classificationReport, predictLabels } from '../lib/ml/metrics.ts';
import { Rng } from '../lib/ml/rng.ts';
import { tokenize } from '../lib/ml/tokenizer.ts';
import { leaseItem, nextItems, submit } from '../lib/queue/annotate.ts';
import { priority, QUEUE_STRATEGIES } from '../lib/queue/rank.ts';
import { startRound } from '../lib/rounds/rounds.ts';
import { modelArtifactKey, runRound, type RoundMetrics } from '../lib/rounds/run.ts';
import { vocabFromJSON } from '../lib/ml/features.ts';
import { predictProbs } from '../lib/ml/model.ts';
import { decodeWeights } from '../lib/ml/weights.ts';
import { createTask } from '../lib/tasks/tasks.ts';
import { predictNgramTeacher, trainNgramTeacher } from '../lib/teachers/ngram.ts';
import { teacherPredict, trainTeacher, type TeacherSpec } from '../lib/teachers/reference.ts';

/**
 * `oracle` is a diagnostic ceiling, not a product path (opt in with LOOP_ARMS): it picks at random
 * among the open pool items the teacher gets wrong by the hidden gold label, i.e. a queue that finds
 * a teacher error with every pick. What it gains bounds what any ranking of the queue can gain.
 */
type Arm = 'queue' | 'random' | 'none' | 'oracle';
type DatasetName = 'cold' | 'banking77';

interface LoopCase {
  name: DatasetName;
  labels: string[];
  /** The teacher's own training rows (not in the phase). */
  teacherSet: { texts: string[]; labels: Int32Array };
  /** Imported with gold labels: round 0's human labels. */
  gold: { texts: string[]; labels: Int32Array };
  /** Imported without labels: what the oracle labels when an arm picks it. */
  pool: { texts: string[]; labels: Int32Array };
  /** The newest slice, with gold labels. */
  test: { texts: string[]; labels: Int32Array };
  /** LOOP_DEV: pool rows kept out of the phase, to choose settings by (empty by default). */
  dev: { texts: string[]; labels: Int32Array };
}

const SIZES: Record<DatasetName, { teacher: number; gold: number; pool: number; test: number }> = {
  // COLD train has 25.7k rows, Banking77 10k: the pool is subsampled so that the whole
  // benchmark (2 datasets × 3 seeds × 10 rounds) stays within about half an hour on 2 cores.
  cold: { teacher: 6000, gold: 1000, pool: 8000, test: 2000 },
  banking77: { teacher: 3000, gold: 1000, pool: 6000, test: 2000 },
};

function slice(d: LabelledTexts, idx: Int32Array, from: number, n: number) {
  const part = idx.subarray(from, from + n);
  return { texts: Array.from(part, (i) => d.texts[i]), labels: Int32Array.from(part, (i) => d.labels[i]) };
}

export function buildCase(name: DatasetName): LoopCase {
  const train = name === 'cold' ? loadCold('train') : loadBanking77('train');
  const test = name === 'cold' ? loadCold('test') : loadBanking77('test');
  const s = SIZES[name];
  // A fixed shuffle (COLD's files are grouped by topic), the same for every seed and arm.
  const idx = shuffledIndices(train.texts.length, 20261201);
  const tIdx = shuffledIndices(test.texts.length, 20261202);
  const labels = name === 'cold' ? ['safe', 'offensive'] : train.labelNames;
  return {
    name,
    labels,
    teacherSet: slice(train, idx, 0, s.teacher),
    gold: slice(train, idx, s.teacher, s.gold),
    pool: slice(train, idx, s.teacher + s.gold, Math.min(s.pool, train.texts.length - s.teacher - s.gold)),
    test: slice(test, tIdx, 0, s.test),
    dev: { texts: [], labels: new Int32Array(0) },
  };
}

/** Moves the last `n` pool rows (and their teacher rows) to the development slice. */
function carveDev(c: LoopCase, probs: Float32Array, n: number): { c: LoopCase; probs: Float32Array } {
  if (n <= 0) return { c, probs };
  const C = c.labels.length;
  const keep = c.pool.texts.length - n;
  if (keep < 1000) throw new Error(`LOOP_DEV=${n} leaves too small a pool`);
  const g = c.gold.texts.length;
  const out = new Float32Array(probs.length - n * C);
  out.set(probs.subarray(0, (g + keep) * C));
  out.set(probs.subarray((g + c.pool.texts.length) * C), (g + keep) * C);
  return {
    c: { ...c, pool: { texts: c.pool.texts.slice(0, keep), labels: c.pool.labels.slice(0, keep) }, dev: { texts: c.pool.texts.slice(keep), labels: c.pool.labels.slice(keep) } },
    probs: out,
  };
}

const cacheDir = join('data', 'bench-cache');

/** The teacher: an n-gram LR and a wide TextCNN trained on the teacher set, averaged. Cached per dataset. */
export async function teacherOutputs(c: LoopCase, log: (m: string) => void): Promise<{ probs: Float32Array; texts: string[]; seconds: number }> {
  const texts = [...c.gold.texts, ...c.pool.texts, ...c.test.texts];
  const key = createHash('sha256').update(JSON.stringify({ v: 2, t: c.teacherSet.texts.length, texts })).digest('hex').slice(0, 16);
  const file = join(cacheDir, `loop-teacher-${c.name}-${key}.bin`);
  const C = c.labels.length;
  if (existsSync(file)) {
    const b = readFileSync(file);
    return { probs: decodeProbs(b), texts, seconds: 0 };
  }
  const t0 = performance.now();
  log(`${c.name}: training the teacher on ${c.teacherSet.texts.length} rows outside the phase`);
  const ngram = trainNgramTeacher(c.teacherSet.texts, c.teacherSet.labels, C);
  const spec: TeacherSpec = {
    name: 'loop-teacher',
    version: '2',
    members: [{ model: { arch: 'textcnn', embeddingDim: 128, filters: 128, kernelSizes: [1, 2, 3, 4, 5], dropout: 0.5, maxLen: 128 }, train: { epochs: 6, seed: 101, learningRate: 2e-3 } }],
  };
  const cnn = await trainTeacher(spec, c.teacherSet.texts, c.teacherSet.labels, C);
  const a = predictNgramTeacher(ngram, texts);
  const b = (await teacherPredict(cnn, texts)).probs;
  const probs = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) probs[i] = (a[i] + b[i]) / 2;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, encodeProbs(probs));
  return { probs, texts, seconds: (performance.now() - t0) / 1000 };
}

/** TF-IDF + logistic regression on the given gold rows (Debian's python3-sklearn), cached. */
function tfidfLr(c: LoopCase, train: { texts: string[]; labels: ArrayLike<number> }, log: (m: string) => void): { accuracy: number; macro_f1: number } | null {
  const python = '/usr/bin/python3';
  const ok = () => {
    try {
      execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!ok()) {
    log('installing python3-sklearn (Debian) for the TF-IDF + LR baseline');
    try {
      execFileSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn >/dev/null'], { stdio: 'inherit' });
    } catch {
      /* reported below */
    }
    if (!ok()) return null;
  }
  const row = (t: string, y: number) => [t, tokenize(t).join(' '), y];
  const job = { train: Array.from(train.texts, (t, i) => row(t, train.labels[i])), test: Array.from(c.test.texts, (t, i) => row(t, c.test.labels[i])) };
  const body = JSON.stringify(job);
  const file = join(cacheDir, `loop-tfidf-${c.name}-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const out = JSON.parse(execFileSync(python, [join('bench', 'peers', 'tfidf_lr.py')], { input: body, encoding: 'utf8', maxBuffer: 1 << 26 }));
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  return out;
}

interface RoundRecord {
  round: number;
  acc: number;
  macroF1: number;
  f1VsTeacher: number | null;
  trainSeconds: number;
  /** Picks answered before this round. */
  picks: number;
  teacherErrors: number;
  trustedPicks: number;
  /** TF-IDF + LR trained on the same human labels as this round (round 0's gold rows plus the arm's answers so far). */
  tfidfAcc: number | null;
  /** The round's student on the phase's validation slice (held-out imported gold). */
  valAcc: number | null;
  /** The round's student on the LOOP_DEV slice, null without one: accuracy, and the mean of per-class recalls (Banking77's test slice is balanced by class, its train split is not). */
  devAcc: number | null;
  devBalAcc: number | null;
}

async function openDb(dir: string): Promise<Database> {
  const file = join(dir, 'distillery.db');
  const database = createDatabase({ provider: 'sqlite', url: `file:${file}`, file });
  await tuneSqlite(database);
  await migrate(database);
  return database;
}

async function closeDb(database: Database) {
  await database.db.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
  await database.db.$disconnect();
}

function record(round: number, m: RoundMetrics, picks: number, teacherErrors: number, trustedPicks: number, tfidfAcc: number | null, dev: { acc: number; bal: number } | null): RoundRecord {
  return { round, acc: m.vsHuman?.accuracy ?? NaN, macroF1: m.vsHuman?.macroF1 ?? NaN, f1VsTeacher: m.vsTeacher?.macroF1 ?? null, trainSeconds: m.trainSeconds, picks, teacherErrors, trustedPicks, tfidfAcc, valAcc: m.regression?.accuracy ?? null, devAcc: dev?.acc ?? null, devBalAcc: dev?.bal ?? null };
}

/** The round's student (its stored weights and vocabulary) on the development slice, against gold. */
async function devAccuracy(c: LoopCase, store: LocalArtifactStore, phaseId: number, roundNumber: number): Promise<{ acc: number; bal: number } | null> {
  if (!c.dev.texts.length) return null;
  const key = modelArtifactKey(phaseId, roundNumber);
  const [w, v] = await Promise.all([store.get(`${key}/weights.bin`), store.get(`${key}/vocab.json`)]);
  if (!w || !v) return null;
  const weights = decodeWeights(w);
  const vocab = vocabFromJSON(JSON.parse(new TextDecoder().decode(v)));
  const probs = predictProbs(weights, vocab.encodeAll(c.dev.texts, (weights.config as { maxLen: number }).maxLen));
  const report = classificationReport(predictLabels(probs, c.labels.length), c.dev.labels, c.labels.length);
  // Balanced accuracy: the mean recall of the classes the slice has.
  const present = report.perClass.filter((s) => s.support > 0);
  return { acc: report.accuracy, bal: present.reduce((a, s) => a + s.recall, 0) / present.length };
}

async function runSeed(c: LoopCase, teacher: Float32Array, seed: number, arms: Arm[], rounds: number, perRound: number, config: Record<string, unknown>, tfidf0: number | null, log: (m: string) => void) {
  const C = c.labels.length;
  const allTexts = [...c.gold.texts, ...c.pool.texts, ...c.test.texts];
  const work = mkdtempSync(join(tmpdir(), `distillery-loop-${c.name}-`));
  const base = join(work, 'round0');
  const database = await openDb(base);
  const db = database.db;
  const task = await createTask(db, { slug: `loop-${c.name}`, name: `Loop ${c.name}`, phases: [{ key: 'main', name: 'main', labels: c.labels, testFraction: c.test.texts.length / (c.gold.texts.length + c.pool.texts.length + c.test.texts.length) }] } as never);
  const phase = await db.phase.findFirstOrThrow({ where: { taskId: task.id } });
  // Gold (labelled), pool (unlabelled) and test (labelled) rows; time keys put the test slice last.
  const rows: { id: string; text: string; label?: string; time: number; probs: number[] }[] = [];
  const goldOf = new Map<string, number>();
  let k = 0;
  for (const [part, labelled] of [[c.gold, true], [c.pool, false], [c.test, true]] as const) {
    for (let i = 0; i < part.texts.length; i++, k++) {
      const id = `r${k}`;
      goldOf.set(id, part.labels[i]);
      rows.push({ id, text: part.texts[i], ...(labelled ? { label: c.labels[part.labels[i]] } : {}), time: k, probs: Array.from(teacher.subarray(k * C, k * C + C)) });
    }
  }
  const jsonl = rows.map((r) => JSON.stringify({ id: r.id, text: r.text, time: r.time, ...(r.label ? { label: r.label } : {}), teachers: { teacher: { probs: r.probs } } })).join('\n') + '\n';
  const report = await importFile(db, { phaseId: phase.id, stream: async function* () { yield jsonl; }, format: 'jsonl' });
  log(`${c.name} seed ${seed}: imported ${report.imported} (${report.duplicates} duplicates, split train ${report.split.train} / test ${report.split.test})`);
  const user = await createUser(db, { email: 'oracle@loop.local', name: 'Oracle', role: 'annotator', password: 'oracle-pass-123' } as never);
  const roundConfig = (extra: Record<string, unknown> = {}) => ({ ...config, ...extra, train: { ...((config.train as object) ?? {}), seed } });
  const r0 = await startRound(db, { phaseId: phase.id, config: roundConfig() });
  const store0 = new LocalArtifactStore(join(base, 'artifacts'));
  const m0 = (await runRound(db, r0.id, { store: store0 })).metrics;
  const dev0 = await devAccuracy(c, store0, phase.id, r0.number);
  log(`${c.name} seed ${seed}: round 0 acc ${m0.vsHuman?.accuracy.toFixed(4)}, validation ${m0.regression?.accuracy.toFixed(4)}${dev0 != null ? `, dev ${dev0.acc.toFixed(4)} (balanced ${dev0.bal.toFixed(4)})` : ''} (${m0.trainSeconds.toFixed(0)} s)`);
  // How many teacher errors each ranking strategy would put in its first 100 picks, from round 0's scores.
  const scored = await db.$queryRawUnsafe<{ externalId: string; js: number; kl: number; flip: number | boolean; margin: number; loss: number; doubt: number }[]>(
    placeholders('sqlite', `SELECT i."externalId", s."js", s."kl", s."flip", s."margin", s."loss", s."doubt" FROM "Item" i JOIN "StudentScore" s ON s."itemId" = i."id" WHERE i."phaseId" = $1 AND i."split" = 'train' AND i."goldLabel" IS NULL`),
    phase.id,
  );
  const teacherWrong = (externalId: string) => {
    const row = Number(externalId.slice(1));
    return predictLabels(teacher.subarray(row * C, row * C + C), C)[0] !== goldOf.get(externalId);
  };
  const strategies: Record<string, number> = {};
  for (const strategy of QUEUE_STRATEGIES) {
    const ranked = [...scored].sort((a, b) => priority({ ...a, flip: a.flip === true || a.flip === 1 }, strategy) < priority({ ...b, flip: b.flip === true || b.flip === 1 }, strategy) ? 1 : -1);
    strategies[strategy] = ranked.slice(0, 100).filter((r) => teacherWrong(r.externalId)).length;
  }
  log(`${c.name} seed ${seed}: teacher errors in the top 100 by strategy ${JSON.stringify(strategies)}`);
  await closeDb(database);

  const out: Record<string, RoundRecord[]> = {};
  for (const arm of arms) {
    const dir = join(work, arm);
    cpSync(base, dir, { recursive: true });
    const armDb = await openDb(dir);
    const adb = armDb.db;
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const hist: RoundRecord[] = [record(0, m0, 0, 0, 0, tfidf0, dev0)];
    // The human labels this arm has so far, for the TF-IDF + LR baseline on the same labels.
    const labelled = { texts: [...c.gold.texts], labels: Array.from(c.gold.labels) };
    const rng = new Rng(seed * 7919 + arms.indexOf(arm));
    for (let r = 1; r <= rounds; r++) {
      let picked: number[] = [];
      if (arm === 'queue') {
        const batch = await nextItems(adb, { phaseId: phase.id, userId: user.id, limit: perRound });
        picked = batch.items.map((i) => i.itemId);
      } else if (arm === 'random' || arm === 'oracle') {
        // Random picks among pool items nobody has labelled (the honest baseline of a queue); the
        // oracle arm keeps only those the teacher gets wrong.
        const open = await adb.$queryRawUnsafe<{ id: number; externalId: string }[]>(placeholders('sqlite', `SELECT i."id", i."externalId" FROM "Item" i WHERE i."phaseId" = $1 AND i."split" = 'train' AND i."goldLabel" IS NULL AND NOT EXISTS (SELECT 1 FROM "HumanLabel" h WHERE h."phaseId" = i."phaseId" AND h."itemId" = i."id") ORDER BY i."id"`), phase.id);
        const ids = open.filter((o) => arm === 'random' || teacherWrong(o.externalId)).map((o) => Number(o.id));
        rng.shuffle(ids);
        picked = ids.slice(0, perRound);
        for (const id of picked) await leaseItem(adb, { phaseId: phase.id, userId: user.id, itemId: id });
      }
      let teacherErrors = 0;
      let trusted = 0;
      if (picked.length) {
        const items = await adb.item.findMany({ where: { id: { in: picked } }, select: { id: true, externalId: true, goldLabel: true } });
        const byId = new Map(items.map((i) => [i.id, i]));
        const trustedIds = new Set((await adb.humanLabel.findMany({ where: { phaseId: phase.id, itemId: { in: picked } }, select: { itemId: true } })).map((h) => h.itemId));
        for (const id of picked) {
          const it = byId.get(id)!;
          const gold = goldOf.get(it.externalId!)!;
          const row = Number(it.externalId!.slice(1));
          const t = predictLabels(teacher.subarray(row * C, row * C + C), C)[0];
          if (t !== gold) teacherErrors++;
          if (it.goldLabel != null || trustedIds.has(id)) trusted++;
          labelled.texts.push(allTexts[row]);
          labelled.labels.push(gold);
          await submit(adb, { phaseId: phase.id, userId: user.id, itemId: id, clientId: `loop-${arm}-${r}-${id}`, action: 'label', label: c.labels[gold] });
        }
      }
      const round = await startRound(adb, { phaseId: phase.id, config: roundConfig() });
      const m = (await runRound(adb, round.id, { store })).metrics;
      const dev = await devAccuracy(c, store, phase.id, round.number);
      const tfidf = picked.length && process.env.LOOP_TFIDF !== '0' ? tfidfLr(c, labelled, log) : null;
      hist.push(record(r, m, picked.length, teacherErrors, trusted, picked.length ? (tfidf?.accuracy ?? null) : tfidf0, dev));
      log(`${c.name} seed ${seed} ${arm} round ${r}: acc ${m.vsHuman?.accuracy.toFixed(4)}, validation ${m.regression?.accuracy.toFixed(4)} (epoch ${m.validation?.bestEpoch})${dev != null ? `, dev ${dev.acc.toFixed(4)} (balanced ${dev.bal.toFixed(4)})` : ''} (TF-IDF + LR on the same labels ${hist[r].tfidfAcc?.toFixed(4) ?? '-'}), teacher errors in picks ${teacherErrors}/${picked.length}, trusted ${trusted}`);
    }
    out[arm] = hist;
    await closeDb(armDb);
  }
  rmSync(work, { recursive: true, force: true });
  return { arms: out, strategies };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length));
const r4 = (x: number) => Math.round(x * 10000) / 10000;
const nullableMean = (xs: (number | null)[]) => (xs.some((x) => x == null) ? null : r4(mean(xs as number[])));

export async function benchLoop(): Promise<Record<string, unknown>> {
  const log = (m: string) => console.error(`[loop] ${m}`);
  const datasets = (process.env.LOOP_DATASETS || 'cold,banking77').split(',') as DatasetName[];
  const seeds = Array.from({ length: Number(process.env.LOOP_SEEDS || 3) }, (_, i) => i + 1 + Number(process.env.LOOP_SEED_OFFSET || 0));
  const arms = (process.env.LOOP_ARMS || 'queue,random,none').split(',') as Arm[];
  const rounds = Number(process.env.LOOP_ROUNDS || 3);
  const perRound = Number(process.env.LOOP_PER_ROUND || 100);
  const config = process.env.LOOP_CONFIG ? (JSON.parse(process.env.LOOP_CONFIG) as Record<string, unknown>) : {};
  const started = performance.now();
  const result: Record<string, unknown> = { seeds: seeds.length, rounds, per_round: perRound, config };
  const tables: Record<string, unknown> = {};
  for (const name of datasets) {
    const full = buildCase(name);
    const C = full.labels.length;
    const t0 = await teacherOutputs(full, log);
    // The teacher sees the whole pool (its cache does not depend on LOOP_DEV); the dev rows then leave the phase.
    const carved = carveDev(full, t0.probs, Number(process.env.LOOP_DEV || 0));
    const c = carved.c;
    const t = { ...t0, probs: carved.probs };
    const poolStart = c.gold.texts.length;
    const poolPred = predictLabels(t.probs.subarray(poolStart * C, (poolStart + c.pool.texts.length) * C), C);
    const testStart = poolStart + c.pool.texts.length;
    const testPred = predictLabels(t.probs.subarray(testStart * C), C);
    const teacherPoolErr = 1 - accuracy(poolPred, c.pool.labels);
    const teacherTestAcc = accuracy(testPred, c.test.labels);
    log(`${name}: teacher error rate on the pool ${teacherPoolErr.toFixed(3)}, test accuracy ${teacherTestAcc.toFixed(4)}`);
    const tfidf = tfidfLr(c, c.gold, log);
    const perSeed: Record<string, RoundRecord[]>[] = [];
    const strategyTop100: Record<string, number[]> = {};
    for (const seed of seeds) {
      const r = await runSeed(c, t.probs, seed, arms, rounds, perRound, config, tfidf?.accuracy ?? null, log);
      perSeed.push(r.arms);
      for (const [k, v] of Object.entries(r.strategies)) (strategyTop100[k] ??= []).push(v);
    }
    const table: Record<string, unknown> = {};
    for (const arm of arms) {
      table[arm] = Array.from({ length: rounds + 1 }, (_, r) => {
        const acc = perSeed.map((s) => s[arm][r].acc);
        const f1 = perSeed.map((s) => s[arm][r].macroF1);
        const fT = perSeed.map((s) => s[arm][r].f1VsTeacher ?? NaN);
        const val = perSeed.map((s) => s[arm][r].valAcc ?? NaN);
        const dev = perSeed.map((s) => s[arm][r].devAcc ?? NaN);
        const devBal = perSeed.map((s) => s[arm][r].devBalAcc ?? NaN);
        return { round: r, acc: r4(mean(acc)), acc_se: r4(se(acc)), val_acc: r4(mean(val)), val_acc_se: r4(se(val)), ...(c.dev.texts.length ? { dev_acc: r4(mean(dev)), dev_acc_se: r4(se(dev)), dev_bal_acc: r4(mean(devBal)), dev_bal_acc_se: r4(se(devBal)) } : {}), macro_f1: r4(mean(f1)), macro_f1_se: r4(se(f1)), f1_vs_teacher: r4(mean(fT)), teacher_errors_in_picks: mean(perSeed.map((s) => s[arm][r].teacherErrors)), tfidf_lr_acc: nullableMean(perSeed.map((s) => s[arm][r].tfidfAcc)), trusted_picks: mean(perSeed.map((s) => s[arm][r].trustedPicks)) };
      });
    }
    tables[name] = table;
    const perHundred = (arm: Arm, f: (x: RoundRecord) => number) => {
      if (!arms.includes(arm)) return null;
      const picks = mean(perSeed.map((s) => s[arm].reduce((a, x) => a + x.picks, 0)));
      return picks ? r4((100 * mean(perSeed.map((s) => s[arm].reduce((a, x) => a + f(x), 0)))) / picks) : 0;
    };
    const last = (arm: Arm) => (arms.includes(arm) ? r4(mean(perSeed.map((s) => s[arm][rounds].acc))) : null);
    const lastOf = (arm: Arm, f: (x: RoundRecord) => number | null) => (arms.includes(arm) ? r4(mean(perSeed.map((s) => f(s[arm][rounds]) ?? NaN))) : null);
    // Settings are chosen by these (validation slice of the phase, LOOP_DEV slice), never by test.
    const chooseBy = Object.fromEntries(
      (['val', 'dev', 'dev_bal'] as const)
        .filter((k) => k === 'val' || c.dev.texts.length)
        .flatMap((k) => {
          const f = (x: RoundRecord) => (k === 'val' ? x.valAcc : k === 'dev' ? x.devAcc : x.devBalAcc);
          return [[`${name}_round0_${k}_acc`, r4(mean(perSeed.map((s) => f(s[arms[0]][0]) ?? NaN)))], ...arms.map((a) => [`${name}_${a}_round3_${k}_acc`, lastOf(a, f)])];
        }),
    );
    Object.assign(result, {
      [`${name}_teacher_pool_error_rate`]: r4(teacherPoolErr),
      [`${name}_teacher_test_acc`]: r4(teacherTestAcc),
      [`${name}_round0_acc`]: r4(mean(perSeed.map((s) => s[arms[0]][0].acc))),
      [`${name}_queue_round3_acc`]: last('queue'),
      [`${name}_random_round3_acc`]: last('random'),
      [`${name}_none_round3_acc`]: last('none'),
      ...(arms.includes('oracle') ? { [`${name}_oracle_round3_acc`]: last('oracle'), [`${name}_oracle_teacher_errors_per_100`]: perHundred('oracle', (x) => x.teacherErrors) } : {}),
      [`${name}_tfidf_lr_acc`]: tfidf ? r4(tfidf.accuracy) : null,
      ...chooseBy,
      // The same baseline on each arm's labels after its last round (round 0's gold rows + the arm's answers).
      ...Object.fromEntries(arms.filter((a) => a !== 'none').map((a) => [`${name}_${a}_tfidf_lr_round3_acc`, nullableMean(perSeed.map((s) => s[a][rounds].tfidfAcc))])),
      [`${name}_queue_teacher_errors_per_100`]: perHundred('queue', (x) => x.teacherErrors),
      [`${name}_random_teacher_errors_per_100`]: perHundred('random', (x) => x.teacherErrors),
      [`${name}_queue_trusted_picks_per_100`]: perHundred('queue', (x) => x.trustedPicks),
      [`${name}_round0_teacher_errors_top100_by_strategy`]: Object.fromEntries(Object.entries(strategyTop100).map(([k, v]) => [k, mean(v)])),
      [`${name}_sizes`]: { teacher_set: c.teacherSet.texts.length, gold: c.gold.texts.length, pool: c.pool.texts.length, test: c.test.texts.length, ...(c.dev.texts.length ? { dev: c.dev.texts.length } : {}) },
    });
  }
  result.tables = tables;
  result.seconds = Math.round((performance.now() - started) / 1000);
  return result;
}
