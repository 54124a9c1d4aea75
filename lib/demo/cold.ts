import type { Db } from '../db/client.ts';
import { readCold, isLabelledSubset, type ColdRow } from '../datasets/cold.ts';
import { importFile, type ImportReport } from '../import/importer.ts';
import { createTask } from '../tasks/tasks.ts';
import { COLD_TASK } from './cold-task.ts';

async function* jsonl(rows: ColdRow[], toLabel: (r: ColdRow) => string | undefined) {
  let buf = '';
  for (const r of rows) {
    const label = isLabelledSubset(r) ? toLabel(r) : undefined;
    buf += JSON.stringify({ id: r.id, text: r.text, time: r.time, ...(label ? { label } : {}), meta: { coldSplit: r.split } }) + '\n';
    if (buf.length > 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/**
 * The demo's COLD task: created if missing, and each phase filled from COLD if it is empty.
 * Phase 1 (offensive?) and phase 2 (topic) hold the same texts; human labels are present only
 * for the labelled subset (see isLabelledSubset).
 */
export async function setupColdDemo(db: Db, { log = (_: string) => {} } = {}): Promise<{ taskId: number; reports: ImportReport[] }> {
  let task = await db.task.findUnique({ where: { slug: COLD_TASK.slug } });
  if (!task) {
    task = await createTask(db, COLD_TASK);
    log(`created task "${task.name}"`);
  }
  const phases = await db.phase.findMany({ where: { taskId: task.id }, orderBy: { position: 'asc' } });
  const reports: ImportReport[] = [];
  let rows: ColdRow[] | null = null;
  for (const phase of phases) {
    if ((await db.item.count({ where: { phaseId: phase.id } })) > 0) continue;
    rows ??= await readCold(log);
    const toLabel = phase.key === 'offensive' ? (r: ColdRow) => (r.offensive ? 'offensive' : 'safe') : (r: ColdRow) => r.topic;
    const report = await importFile(db, { phaseId: phase.id, stream: () => jsonl(rows!, toLabel), format: 'jsonl' });
    const f = Object.entries(report.filtered).map(([k, v]) => `${v} ${k}`).join(', ');
    log(`imported COLD into phase "${phase.name}": ${report.imported} items (${report.duplicates} duplicates, filtered ${f}) in ${(report.durationMs / 1000).toFixed(1)} s; test slice ${report.split.test}`);
    reports.push(report);
  }
  return { taskId: task.id, reports };
}
