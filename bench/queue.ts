/**
 * Next-batch latency of the disagreement queue on SQLite with 1M scored items:
 * a fresh database gets a binary phase with 1M items, a teacher's output and a student's scores
 * for each (bulk SQL inserts), the queue is rebuilt, then annotators take turns calling
 * nextItems(limit 10) — the call behind GET /api/phases/:id/queue/next — and answering their
 * batch (not timed) so every call leases fresh items. `npm run bench -- queue` calls benchQueue().
 * BENCH_QUEUE_ITEMS and BENCH_QUEUE_CALLS override the sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, tuneSqlite, type Db } from '../lib/db/client.ts';
import { migrate } from '../lib/db/migrate.ts';
import { disagreement } from '../lib/ml/metrics.ts';
import { rebuildQueue } from '../lib/queue/rebuild.ts';
import { prng } from './synthetic-import.ts';
import { nextItems, submit } from '../lib/queue/annotate.ts';
import { encodeProbsHex } from '../lib/db/probs.ts';
import { dbNow, placeholders } from '../lib/db/sql.ts';

const BATCH = 5000;


const hex = (xs: Float32Array, i: number) => encodeProbsHex(xs.subarray(i * 2, i * 2 + 2));

async function fill(db: Db, phaseId: number, teacherId: number, modelId: number, n: number) {
  const rand = prng(42); // deterministic: every run scores the same pool
  const words = ['refund', 'card', 'late', 'why', 'account', 'transfer', 'pending', 'fee', 'atm', 'cash', 'help', 'blocked'];
  for (let s = 0; s < n; s += BATCH) {
    const m = Math.min(BATCH, n - s);
    const tp = new Float32Array(m * 2);
    const sp = new Float32Array(m * 2);
    const items: unknown[][] = [];
    for (let j = 0; j < m; j++) {
      const i = s + j;
      const t = rand();
      // The student mostly follows the teacher, with noise: a realistic spread of disagreement.
      const st = Math.min(0.999, Math.max(0.001, t + (rand() - 0.5) * 0.6));
      tp[j * 2] = 1 - t;
      tp[j * 2 + 1] = t;
      sp[j * 2] = 1 - st;
      sp[j * 2 + 1] = st;
      const text = `${words[i % 12]} ${words[(i >> 4) % 12]} ${words[(i >> 8) % 12]} message ${i}`;
      items.push([text, i.toString(16).padStart(32, '0'), i, i >= n * 0.9 ? 'test' : 'train']);
    }
    const d = disagreement(tp, sp, 2);
    await db.$executeRawUnsafe(
      placeholders(
        'sqlite',
        `INSERT INTO "Item" ("phaseId", "text", "textHash", "ordinal", "split", "createdAt")
       SELECT $1, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, ${dbNow('sqlite')} FROM json_each($2) AS j`,
      ),
      phaseId,
      JSON.stringify(items),
    );
    // One INSERT of m rows into a table no one else writes: its ids are the last m.
    const first = Number((await db.$queryRawUnsafe<{ id: number }[]>(`SELECT MAX("id") AS id FROM "Item"`))[0].id) - m + 1;
    const preds = Array.from({ length: m }, (_, j) => [first + j, hex(tp, j)]);
    await db.$executeRawUnsafe(
      placeholders('sqlite', `INSERT INTO "TeacherPrediction" ("itemId", "teacherId", "probs") SELECT j.value ->> 0, $1, unhex(j.value ->> 1) FROM json_each($2) AS j`),
      teacherId,
      JSON.stringify(preds),
    );
    const scores = Array.from({ length: m }, (_, j) => [first + j, hex(sp, j), d.kl[j], d.js[j], d.flip[j], d.margin[j], d.studentLoss[j]]);
    await db.$executeRawUnsafe(
      placeholders(
        'sqlite',
        `INSERT INTO "StudentScore" ("itemId", "modelId", "probs", "kl", "js", "flip", "margin", "loss")
       SELECT j.value ->> 0, $1, unhex(j.value ->> 1), j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6 FROM json_each($2) AS j`,
      ),
      modelId,
      JSON.stringify(scores),
    );
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export async function benchQueue(options: { items?: number; calls?: number; users?: number } = {}): Promise<Record<string, number>> {
  const n = options.items ?? Number(process.env.BENCH_QUEUE_ITEMS || 1_000_000);
  const calls = options.calls ?? Number(process.env.BENCH_QUEUE_CALLS || 300);
  const nUsers = options.users ?? 6;
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-queue-'));
  try {
    const file = join(dir, 'bench.db');
    const database = createDatabase({ provider: 'sqlite', url: `file:${file}`, file });
    await tuneSqlite(database);
    await migrate(database);
    const { db } = database;
    const task = await db.task.create({ data: { slug: 'bench', name: 'bench' } });
    const phase = await db.phase.create({ data: { taskId: task.id, key: 'p', name: 'p', position: 0, labels: JSON.stringify(['safe', 'offensive']), threshold: 0.5, positiveLabel: 'offensive' } });
    const teacher = await db.teacher.create({ data: { phaseId: phase.id, name: 'bert' } });
    const round = await db.round.create({ data: { phaseId: phase.id, number: 0, config: '{}', status: 'succeeded' } });
    const model = await db.studentModel.create({ data: { roundId: round.id, phaseId: phase.id, arch: 'textcnn', artifactKey: 'bench', config: '{}' } });
    const users = await Promise.all(
      Array.from({ length: nUsers }, (_, u) => db.user.create({ data: { email: `bench${u}@bench.local`, name: `bench ${u}`, role: 'annotator', passwordHash: 'x' } })),
    );

    const f0 = performance.now();
    await fill(db, phase.id, teacher.id, model.id, n);
    const fillSeconds = (performance.now() - f0) / 1000;

    const rebuilt = await rebuildQueue(db, phase.id);

    // Warm up the statement cache and the pages of the queue's head, as a running server would have.
    for (const u of users) await nextItems(db, { phaseId: phase.id, userId: u.id, limit: 10 });
    const times: number[] = [];
    let served = 0;
    for (let c = 0; c < calls; c++) {
      const user = users[c % users.length];
      const t0 = performance.now();
      const batch = await nextItems(db, { phaseId: phase.id, userId: user.id, limit: 10 });
      times.push(performance.now() - t0);
      served += batch.items.length;
      for (const item of batch.items) {
        await submit(db, { phaseId: phase.id, userId: user.id, itemId: item.itemId, clientId: `b-${c}-${item.itemId}`, action: c % 7 === 0 ? 'skip' : 'label', label: item.teacher?.label ?? 'safe' });
      }
    }
    times.sort((a, b) => a - b);
    await db.$disconnect();
    return {
      queue_next_p95_ms: r3(pct(times, 0.95)),
      queue_next_p50_ms: r3(pct(times, 0.5)),
      queue_next_max_ms: r3(times[times.length - 1]),
      items: n,
      queued: rebuilt.queued,
      calls,
      items_served: served,
      rebuild_seconds: Math.round(rebuilt.seconds * 100) / 100,
      fill_seconds: Math.round(fillSeconds * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: tsx bench/queue.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  benchQueue().then((r) => console.log(JSON.stringify(r)));
}
