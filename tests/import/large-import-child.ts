/**
 * Child process for the large-import test: imports one file into a fresh SQLite database and
 * prints one JSON line with the report's counts and this process's peak RSS. Run in its own
 * process so that the peak RSS is the import's alone (and not the test runner's).
 *
 *   tsx tests/import/large-import-child.ts <file.csv> <dir for the database>
 */
import { join } from 'node:path';
import { createDatabase, tuneSqlite } from '../../lib/db/client.ts';
import { migrate } from '../../lib/db/migrate.ts';
import { importFile } from '../../lib/import/importer.ts';

const [file, dir] = process.argv.slice(2);
const dbFile = join(dir, 'large.db');
const database = createDatabase({ provider: 'sqlite', url: `file:${dbFile}`, file: dbFile });
await tuneSqlite(database);
await migrate(database);
const { db } = database;
const task = await db.task.create({ data: { slug: 'large', name: 'large' } });
const phase = await db.phase.create({ data: { taskId: task.id, key: 'p', name: 'p', position: 0, labels: JSON.stringify(['safe', 'offensive']), testFraction: 0.1 } });
const rssBefore = process.resourceUsage().maxRSS;
const report = await importFile(db, { phaseId: phase.id, path: file });
const predictions = await db.teacherPrediction.count();
const test = await db.item.count({ where: { phaseId: phase.id, split: 'test' } });
await db.$disconnect();
console.log(
  JSON.stringify({
    rows: report.rows,
    imported: report.imported,
    duplicates: report.duplicates,
    invalid: report.invalid.count,
    predictions,
    test,
    durationMs: report.durationMs,
    itemsPerSecond: Math.round(report.itemsPerSecond),
    rssBeforeMb: Math.round(rssBefore / 1024),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
