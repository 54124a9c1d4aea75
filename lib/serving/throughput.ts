import { cpus } from 'node:os';
import type { Db } from '../db/client.ts';
import { OnnxStudent } from '../ml/inference.ts';
import { modelFile } from '../models/registry.ts';

/** What the seed's production measured (issue 9): the numbers a lead compares the card with. */
export const SEED_REFERENCE = [
  { what: 'BERT teacher on a GPU (seed)', itemsPerSecond: 83 },
  { what: 'TextCNN on a 20-core CPU (seed)', itemsPerSecond: 1449.6 },
];

export interface ThroughputCard {
  measuredAt: string;
  machine: { cpus: number; cpuModel: string };
  threads: number;
  items: number;
  batch: { size: number; itemsPerSecond: number }[];
  latencyMs: { p50: number; p99: number };
  reference: typeof SEED_REFERENCE;
}

/**
 * The student's throughput on this machine at batch 1, 32 and 256 (tokenisation included) and
 * its batch-1 latency, on up to 2,000 of its phase's texts; stored on the model for its page.
 * It loads its own session, so it never shares a batcher with live traffic.
 */
export async function measureThroughput(db: Db, modelId: number, opts: { threads?: number } = {}): Promise<ThroughputCard> {
  const model = await db.studentModel.findUniqueOrThrow({ where: { id: modelId } });
  const rows = await db.item.findMany({ where: { phaseId: model.phaseId }, select: { text: true }, orderBy: { id: 'desc' }, take: 2000 });
  const texts = rows.map((r) => r.text);
  if (!texts.length) texts.push('一条用来测速的文本');
  const threads = opts.threads ?? 1;
  const student = await OnnxStudent.load(new Uint8Array(await modelFile(db, model, 'student.onnx')), { intraOpThreads: threads });
  try {
    await student.predict(texts.slice(0, 256));
    const batch: ThroughputCard['batch'] = [];
    for (const size of [1, 32, 256]) {
      const n = size === 1 ? Math.min(texts.length, 500) : texts.length;
      const t0 = performance.now();
      for (let s = 0; s < n; s += size) await student.predict(texts.slice(s, Math.min(n, s + size)), { batchSize: size });
      batch.push({ size, itemsPerSecond: Math.round(n / ((performance.now() - t0) / 1000)) });
    }
    const lat: number[] = [];
    for (let i = 0; i < Math.min(texts.length, 500); i++) {
      const t0 = performance.now();
      await student.predict([texts[i]]);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] * 1000) / 1000;
    const card: ThroughputCard = { measuredAt: new Date().toISOString(), machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' }, threads, items: texts.length, batch, latencyMs: { p50: q(0.5), p99: q(0.99) }, reference: SEED_REFERENCE };
    await db.studentModel.update({ where: { id: modelId }, data: { throughput: JSON.stringify(card) } });
    return card;
  } finally {
    await student.release();
  }
}
