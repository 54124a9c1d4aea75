import type { Db } from '../db/client.ts';
import { conflict } from '../errors.ts';
import { decide, phaseMeta, type PhaseMeta } from '../tasks/phase.ts';
import { onServingChange, servingState, type ServingState } from '../models/deploy.ts';
import type { Lane } from './batcher.ts';
import { servingConfig, type ServingConfig } from './config.ts';
import { SessionCache } from './sessions.ts';

export interface Prediction {
  label: string;
  /** Probability per label, keyed by label name. */
  probs: Record<string, number>;
  modelVersion: string;
}

export interface PhasePredictions {
  phaseId: number;
  modelVersion: string;
  /** Which deployment answered: the live model or the canary. */
  servedBy: 'live' | 'canary';
  results: Prediction[];
}

/** Live counters of a canary (agreement with live) or a shadow (flip rate against live). */
export interface DeploymentStats {
  requests: number;
  items: number;
  compared: number;
  agree: number;
}

/** How long a phase's serving state is trusted before it is read again (a deploy from another process). */
const STATE_TTL_MS = 1000;

/**
 * The predict service of one process: resolves what serves a phase (alias `live`, canary,
 * shadow), routes each request, scores it through the model's micro-batcher and applies the
 * phase's decision rule. Separate from the training worker: it only reads models.
 */
export class PredictService {
  readonly sessions: SessionCache;
  private readonly states = new Map<number, { at: number; state: Promise<{ state: ServingState; phase: PhaseMeta }> }>();
  private readonly canaryCredit = new Map<number, number>();
  readonly stats = new Map<number, DeploymentStats>();
  private readonly unsubscribe: () => void;

  constructor(private readonly db: Db, config: ServingConfig = servingConfig()) {
    this.sessions = new SessionCache(config);
    // A deploy in this process takes effect on the next request, and its sessions load now.
    this.unsubscribe = onServingChange((phaseId) => {
      this.states.delete(phaseId);
      void this.resolve(phaseId)
        .then(({ state }) => Promise.all([state.live, state.canary, state.shadow].filter((s) => s).map((s) => this.sessions.get(this.db, s!.modelId))))
        .catch(() => {});
    });
  }

  private resolve(phaseId: number) {
    const hit = this.states.get(phaseId);
    if (hit && performance.now() - hit.at < STATE_TTL_MS) return hit.state;
    const state = Promise.all([servingState(this.db, phaseId), phaseMeta(this.db, phaseId)]).then(([state, phase]) => ({ state, phase }));
    this.states.set(phaseId, { at: performance.now(), state });
    state.catch(() => this.states.delete(phaseId));
    return state;
  }

  /** Serving state as this process sees it (with live counters for canary and shadow). */
  async status(phaseId: number) {
    this.states.delete(phaseId);
    const { state } = await this.resolve(phaseId);
    const stat = (id?: number) => (id ? (this.stats.get(id) ?? { requests: 0, items: 0, compared: 0, agree: 0 }) : null);
    return { ...state, canaryStats: stat(state.canary?.deploymentId), shadowStats: stat(state.shadow?.deploymentId) };
  }

  private count(deploymentId: number, items: number, compared: number, agree: number) {
    const s = this.stats.get(deploymentId) ?? { requests: 0, items: 0, compared: 0, agree: 0 };
    s.requests++;
    s.items += items;
    s.compared += compared;
    s.agree += agree;
    this.stats.set(deploymentId, s);
  }

  /** Exact shares: each request adds the canary's share to a credit; a full unit sends one to the canary. */
  private toCanary(state: ServingState): boolean {
    if (!state.canary) return false;
    const id = state.canary.deploymentId; // a new canary starts from zero credit
    const credit = (this.canaryCredit.get(id) ?? 0) + state.canary.share;
    const go = credit >= 1 - 1e-9;
    this.canaryCredit.set(id, go ? credit - 1 : credit);
    return go;
  }

  async predict(phaseId: number, texts: readonly string[], opts: { lane?: Lane } = {}): Promise<PhasePredictions> {
    const { state, phase } = await this.resolve(phaseId);
    if (!state.live) throw conflict(`phase ${phaseId} has no deployed model: approve and deploy one first`);
    const lane = opts.lane ?? 'normal';
    const canary = this.toCanary(state);
    const target = canary ? state.canary! : state.live;
    const scoring = [this.sessions.predict(this.db, target.modelId, texts, lane)];
    // A canary request is scored by live too: the agreement between the two is what a lead promotes on.
    if (canary) scoring.push(this.sessions.predict(this.db, state.live.modelId, texts, 'low'));
    const [answer, other] = await Promise.all(scoring);
    const labels = decide(phase, answer.probs);
    if (other) this.count(state.canary!.deploymentId, texts.length, texts.length, agreeing(labels, decide(phase, other.probs)));
    if (state.shadow) void this.shadow(state.shadow.deploymentId, state.shadow.modelId, phase, texts, canary ? null : labels);
    const C = phase.labels.length;
    const results = texts.map((_, i) => {
      const probs: Record<string, number> = {};
      for (let c = 0; c < C; c++) probs[phase.labels[c]] = answer.probs[i * C + c];
      return { label: phase.labels[labels[i]], probs, modelVersion: answer.modelVersion };
    });
    return { phaseId, modelVersion: answer.modelVersion, servedBy: canary ? 'canary' : 'live', results };
  }

  /** The shadow scores after the answer is sent, in the low lane; its failures never reach a caller. */
  private async shadow(deploymentId: number, modelId: number, phase: PhaseMeta, texts: readonly string[], liveLabels: Int32Array | null) {
    try {
      const out = await this.sessions.predict(this.db, modelId, texts, 'low');
      if (liveLabels) this.count(deploymentId, texts.length, texts.length, agreeing(liveLabels, decide(phase, out.probs)));
      else this.count(deploymentId, texts.length, 0, 0);
    } catch {
      /* the shadow is best effort */
    }
  }

  async close() {
    this.unsubscribe();
    await this.sessions.close();
  }
}

function agreeing(a: Int32Array, b: Int32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) n++;
  return n;
}

const globalForServing = globalThis as unknown as { __distilleryPredict?: PredictService };

/** The process-wide predict service (the console's API routes share one session cache). */
export function predictService(db: Db): PredictService {
  if (!globalForServing.__distilleryPredict) globalForServing.__distilleryPredict = new PredictService(db);
  return globalForServing.__distilleryPredict;
}

/** Drops the process-wide service (tests that switch databases). */
export async function resetPredictService() {
  const s = globalForServing.__distilleryPredict;
  globalForServing.__distilleryPredict = undefined;
  await s?.close();
}
