/**
 * Import throughput on SQLite: a synthetic CSV (200k rows, 2 labels, one teacher) imported
 * into a fresh database. `npm run bench -- import` calls benchImport().
 * Peak RSS is this process's (process.resourceUsage().maxRSS), so run it in its own process.
 * BENCH_IMPORT_ROWS overrides the row count.
 */

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, tuneSqlite } from '../lib/db/client.ts';
import { migrate } from '../lib/db/migrate.ts';
import { importFile } from '../lib/import/importer.ts';
import { writeSyntheticImport } from './synthetic-import.ts';

export async function benchImport(options: { rows?: number; batchSize?: number } = {}): Promise<Record<string, number>> {
  const rows = options.rows ?? Number(process.env.BENCH_IMPORT_ROWS || 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-import-'));
  try {
    const file = join(dir, 'items.csv');
    writeSyntheticImport(file, { rows, seed: 7 });
    const dbFile = join(dir, 'bench.db');
    const database = createDatabase({ provider: 'sqlite', url: `file:${dbFile}`, file: dbFile });
    await tuneSqlite(database);
    await migrate(database);
    const { db } = database;
    const task = await db.task.create({ data: { slug: 'bench', name: 'bench' } });
    const phase = await db.phase.create({ data: { taskId: task.id, key: 'p', name: 'p', position: 0, labels: JSON.stringify(['safe', 'offensive']) } });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await importFile(db, { phaseId: phase.id, path: file, batchSize: options.batchSize });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await db.$disconnect();
    return {
      import_items_per_s: Math.round(report.imported / seconds),
      // The same per second of this process's CPU time: what an otherwise idle machine would
      // show (the import is single-threaded), and steadier than wall time on a shared one.
      import_items_per_cpu_s: Math.round(report.imported / ((cpu.user + cpu.system) / 1e6)),
      rows,
      imported: report.imported,
      seconds: Math.round(seconds * 100) / 100,
      cpu_seconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      file_mb: Math.round((statSync(file).size / 1e6) * 10) / 10,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: tsx bench/import.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  benchImport().then((r) => console.log(JSON.stringify(r)));
}
