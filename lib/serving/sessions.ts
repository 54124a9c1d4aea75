import type { Db } from '../db/client.ts';
import { notFound } from '../errors.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { modelFile } from '../models/registry.ts';
import { modelVersion } from '../models/status.ts';
import { MicroBatcher, type Lane } from './batcher.ts';
import type { ServingConfig } from './config.ts';
import { Limiter } from './limiter.ts';

/** A loaded student: its onnxruntime session behind a micro-batcher. */
export interface ServedModel {
  modelId: number;
  version: string;
  numClasses: number;
  batcher: MicroBatcher;
  student: OnnxStudent;
  lastUsed: number;
}

/**
 * onnxruntime-node sessions, one per deployed model, loaded on first use and kept while they
 * are among the `cachedModels` most recently used. A session is released only once its batcher
 * is idle, so a deploy or rollback never cuts a request that already resolved to the old model.
 */
export class SessionCache {
  private readonly loaded = new Map<number, Promise<ServedModel>>();
  readonly limiter: Limiter;

  constructor(readonly config: ServingConfig) {
    this.limiter = new Limiter(config.concurrency);
  }

  get(db: Db, modelId: number): Promise<ServedModel> {
    let p = this.loaded.get(modelId);
    if (!p) {
      p = this.load(db, modelId);
      this.loaded.set(modelId, p);
      p.catch(() => this.loaded.delete(modelId));
      void p.then(() => this.evict());
    }
    return p.then((m) => {
      m.lastUsed = performance.now();
      return m;
    });
  }

  async predict(db: Db, modelId: number, texts: readonly string[], lane: Lane = 'normal') {
    const m = await this.get(db, modelId);
    return { probs: await m.batcher.submit(texts, lane), numClasses: m.numClasses, modelVersion: m.version };
  }

  private async load(db: Db, modelId: number): Promise<ServedModel> {
    const row = await db.studentModel.findUnique({ where: { id: modelId }, include: { round: { select: { number: true } } } });
    if (!row) throw notFound(`model ${modelId}`);
    const bytes = await modelFile(db, row, 'student.onnx');
    const student = await OnnxStudent.load(new Uint8Array(bytes), { intraOpThreads: this.config.intraOpThreads, thread: this.config.inferenceThread, spin: false });
    const batcher = new MicroBatcher(async (texts) => (await student.predict(texts, { batchSize: this.config.inferBatch })).probs, student.numClasses, {
      maxBatch: this.config.maxBatch,
      maxWaitMs: this.config.maxWaitMs,
      limiter: this.limiter,
      maxQueue: this.config.maxQueue,
    });
    return { modelId, version: modelVersion(row.phaseId, row.round.number), numClasses: student.numClasses, batcher, student, lastUsed: performance.now() };
  }

  private async evict() {
    if (this.loaded.size <= this.config.cachedModels) return;
    const models = (await Promise.allSettled([...this.loaded.values()])).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    models.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const m of models.slice(0, Math.max(0, this.loaded.size - this.config.cachedModels))) {
      // Busy or just handed out (a caller may be about to submit): keep it.
      if (m.batcher.busy || performance.now() - m.lastUsed < 5000) continue;
      this.loaded.delete(m.modelId);
      await m.batcher.idle();
      await m.student.release();
    }
  }

  async close() {
    const models = (await Promise.allSettled([...this.loaded.values()])).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    this.loaded.clear();
    for (const m of models) {
      await m.batcher.idle();
      await m.student.release();
    }
  }
}
