/**
 * The predict side of `npm run bench -- load`: a live student for the phase and clients that call
 * `POST /api/v1/phases/:id/predict` while the annotators work (issue 12: "10 predict clients run
 * once the predict API exists").
 *
 * The live student is a default n-gram student exported with fresh weights over the phase's texts
 * (serving speed does not depend on the weights' values), registered as round 0's model, approved
 * and deployed through lib/models/deploy.ts as a lead would. The round the load bench trains is
 * then round 1.
 */
import type { Db } from '../lib/db/client.ts';
import { LocalArtifactStore } from '../lib/artifacts/store.ts';
import { DEFAULT_NGRAM } from '../lib/ml/config.ts';
import { buildVocab } from '../lib/ml/features.ts';
import { initWeights } from '../lib/ml/model.ts';
import { exportOnnx } from '../lib/ml/onnx.ts';
import { Rng } from '../lib/ml/rng.ts';
import { modelArtifactKey } from '../lib/rounds/run.ts';
import { approveModel, deployModel } from '../lib/models/deploy.ts';
import { call } from './http-client.ts';

/** Registers and deploys a fresh-weights default student for the phase; returns its model id. */
export async function deployFreshStudent(db: Db, opts: { phaseId: number; labels: string[]; texts: string[]; artifactsDir: string; lead: { id: number } }): Promise<number> {
  const vocab = buildVocab(DEFAULT_NGRAM, opts.texts);
  const round = await db.round.create({ data: { phaseId: opts.phaseId, number: 0, config: '{}', status: 'succeeded' } });
  const key = modelArtifactKey(opts.phaseId, round.number);
  const weights = initWeights(DEFAULT_NGRAM, vocab.size, opts.labels.length, new Rng(1));
  await new LocalArtifactStore(opts.artifactsDir).put(`${key}/student.onnx`, exportOnnx(weights, { vocab: vocab.toJSON() }));
  const model = await db.studentModel.create({
    data: { roundId: round.id, phaseId: opts.phaseId, arch: DEFAULT_NGRAM.arch, artifactKey: key, config: JSON.stringify({ labels: opts.labels, student: DEFAULT_NGRAM }) },
  });
  await approveModel(db, { modelId: model.id, actor: opts.lead, note: 'load bench' });
  await deployModel(db, { modelId: model.id, actor: opts.lead });
  return model.id;
}

export interface PredictStats {
  latencies: number[];
  items: number;
  errors: number;
  errorSamples: string[];
}

/**
 * `clients` closed-loop clients, each sending `textsPerRequest` texts and pausing `pauseMs`
 * between answers, until `until` (ms since the epoch); `measureFrom` (performance.now()) starts the
 * measured window.
 */
export async function runPredictClients(opts: { base: string; phaseId: number; token: string; texts: string[]; clients: number; textsPerRequest: number; pauseMs: number; until: number; measureFrom?: number }): Promise<PredictStats> {
  const stats: PredictStats = { latencies: [], items: 0, errors: 0, errorSamples: [] };
  const url = `${opts.base}/api/v1/phases/${opts.phaseId}/predict`;
  const headers = { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' };
  await Promise.all(
    Array.from({ length: opts.clients }, async (_, c) => {
      for (let k = c * opts.textsPerRequest; Date.now() < opts.until; k += opts.clients * opts.textsPerRequest) {
        const texts = Array.from({ length: opts.textsPerRequest }, (_, j) => opts.texts[(k + j) % opts.texts.length]);
        const t0 = performance.now();
        try {
          const res = await call(url, { method: 'POST', headers, body: JSON.stringify({ texts }) });
          // Latencies and items count from `measureFrom` (a warm-up before it is left out); errors always.
          const counted = t0 >= (opts.measureFrom ?? 0);
          if (counted) stats.latencies.push(performance.now() - t0);
          if (res.ok) {
            if (counted) stats.items += texts.length;
          } else {
            stats.errors++;
            if (stats.errorSamples.length < 5) stats.errorSamples.push(`${res.status} predict: ${res.text.slice(0, 160)}`);
          }
        } catch (e) {
          stats.errors++;
          if (stats.errorSamples.length < 5) stats.errorSamples.push(`network: ${(e as Error).message}`);
        }
        if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
      }
    }),
  );
  return stats;
}
