import { importFile } from '../../import/importer.ts';
import { int, json, str, UsageError } from '../args.ts';
import type { CliContext, Command } from '../context.ts';

/** `import --phase ID FILE`: validate, then write; the report, or the bad rows. */
async function importCommand({ db, args, io, asJson, print }: CliContext): Promise<number> {
  const path = args.positionals[1];
  if (!path) throw new UsageError('import --phase ID FILE');
  const format = str(args, 'format', false);
  if (format && format !== 'csv' && format !== 'jsonl') throw new UsageError('--format is csv or jsonl');
  let lastLog = 0;
  const report = await importFile(db, {
    phaseId: int(args, 'phase')!,
    path,
    format: format as 'csv' | 'jsonl' | undefined,
    skipInvalid: args.flags['skip-invalid'] === true,
    columns: json(args, 'columns') as Record<string, string> | undefined,
    labelMap: json(args, 'label-map') as Record<string, string> | undefined,
    onProgress: (p) => {
      if (!asJson && Date.now() - lastLog > 1000) {
        lastLog = Date.now();
        io.err(`${p.phase}: ${p.rows.toLocaleString('en-US')} rows`);
      }
    },
  });
  print(report, () => {
    const f = Object.entries(report.filtered).map(([k, v]) => `${k} ${v}`).join(', ');
    const lines = [`imported ${report.imported} of ${report.rows} rows in ${(report.durationMs / 1000).toFixed(1)} s (${Math.round(report.itemsPerSecond)} items/s); duplicates ${report.duplicates}; filtered: ${f}`];
    if (report.queueRebuild) lines.push(`queue rebuild: job ${report.queueRebuild.jobId} (a worker ranks the new items into the annotation queue; run one with npm run worker)`);
    if (report.invalid.count) {
      lines.push(`skipped ${report.invalid.count} invalid rows:`);
      for (const e of report.invalid.errors.slice(0, 50)) lines.push(`  ${path}:${e.line}: ${e.reason}`);
    }
    return lines.join('\n');
  });
  return 0;
}

export const commands: Record<string, Command> = { 'import': importCommand };
