import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import type { Db } from '../db/client.ts';
import { DomainError } from '../errors.ts';
import { ZodError } from 'zod';
import { createApiToken, createUser, listUsers, updateUser } from '../auth/users.ts';
import { isRole } from '../auth/roles.ts';
import { ALL_SCOPES, isScope, type Scope } from '../auth/scopes.ts';
import { createTask, getTask, listItems, listTasks } from '../tasks/tasks.ts';
import { importFile } from '../import/importer.ts';
import { parseArgs, str, int, json, UsageError, type Args } from './args.ts';
import { getRound, listRounds, startRound, type RoundView } from '../rounds/rounds.ts';
import { isFinal } from '../jobs/queue.ts';
import { leaseItem, nextItems, submit } from '../queue/annotate.ts';
import { exportFormat, exportLabels } from '../queue/export.ts';
import { MODEL_USAGE, runModelCommand } from './models.ts';

export const USAGE = `Usage: npm run cli -- <command> [options]

  tasks [--json]                                   list tasks with phases and counts
  task create --spec FILE.json                     create a task with phases from a JSON spec
  task show <id|slug> [--json]                     one task with its phases
  items --phase ID [--split train|test] [--limit N] [--after ID] [--json]
  import --phase ID FILE [--format csv|jsonl] [--skip-invalid]
         [--columns '{"text":"TEXT"}'] [--label-map '{"0":"safe"}']
  users [--json]                                   list users
  user create --email E --name N --role annotator|lead|admin [--password P]
  user set-role --email E --role R
  token create --email E [--name N] [--scopes read,annotate,predict,admin]
                                                   print a new API token for that user (default: all scopes)
  round start --phase ID [--arch textcnn|bilstm] [--epochs N] [--temperature T] [--alpha A]
              [--human-weight W] [--sampling loss|uniform] [--no-teacher] [--config FILE.json] [--wait]
  rounds --phase ID [--json]                       rounds with status, backend, metrics, durations
  round show ID [--json]
  worker                                           run a worker in this process (same as npm run worker)
  queue next --phase ID --user EMAIL [--limit N] [--json]
                                                   lease the next items of the disagreement queue to that user
  annotate --phase ID --item ID --user EMAIL (--label L | --action skip|flag)
                                                   answer an item as that user (leases it first if needed)
  labels export --phase ID [--format csv|jsonl] [--out FILE]
                                                   every non-undone answer with annotator, time and probabilities shown
${MODEL_USAGE}`;

export interface CliHooks {
  /** Runs a worker in this process until the signal aborts (used by round start --wait). */
  startWorker?: (signal: AbortSignal) => Promise<unknown>;
}

const f3 = (x: number | null | undefined) => (x == null ? '—' : x.toFixed(3));
function roundLine(r: RoundView): Record<string, unknown> {
  const secs = r.startedAt && r.finishedAt ? Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000) : null;
  return {
    id: r.id,
    round: r.number,
    status: r.status,
    backend: r.backend ?? '',
    'F1 vs teacher': f3(r.metrics?.vsTeacher?.macroF1),
    'F1 vs human': f3(r.metrics?.vsHuman?.macroF1),
    'train ex/s': r.metrics ? Math.round(r.metrics.trainExamplesPerSecond) : '',
    seconds: secs ?? '',
    progress: r.progress && r.status === 'running' ? `${r.progress.stage}${r.progress.epoch != null ? ` epoch ${r.progress.epoch + (r.progress.stage === 'training' && r.progress.step ? 1 : 0)}/${r.progress.epochs}` : ''}` : '',
  };
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const table = (rows: Record<string, unknown>[]): string => {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: unknown[]) => vals.map((v, i) => String(v ?? '').padEnd(w[i])).join('  ').trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
};

async function userByEmail(db: Db, email: string) {
  const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!u) throw new DomainError(`no user with email ${email}`, 404, 'not_found');
  return u;
}

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], db: Db, io: Io, hooks: CliHooks = {}): Promise<number> {
  const args: Args = parseArgs(argv);
  const [cmd, sub] = args.positionals;
  const asJson = args.flags.json === true;
  const print = (data: unknown, human: () => string) => io.out(asJson ? JSON.stringify(data, null, 2) : human());
  try {
    const handled = await runModelCommand(args, db, io, print, table);
    if (handled !== null) return handled;
    switch (cmd) {
      case 'tasks': {
        const tasks = await listTasks(db);
        print(tasks, () =>
          table(tasks.flatMap((t) => t.phases.map((p) => ({ task: `${t.id} ${t.slug}`, phase: `${p.id} ${p.key}`, labels: p.labels.join(','), items: p.stats.items, train: p.stats.train, test: p.stats.test, gold: p.stats.gold, teachers: p.stats.teachers.map((x) => x.name).join(',') })))),
        );
        return 0;
      }
      case 'task': {
        if (sub === 'create') {
          const file = str(args, 'spec')!;
          let spec: unknown;
          try {
            spec = JSON.parse(readFileSync(file, 'utf8'));
          } catch (e) {
            throw new UsageError(`cannot read the spec ${file}: ${(e as Error).message}`);
          }
          const task = await createTask(db, spec as never);
          const full = await getTask(db, task.id);
          print(full, () => `created task ${full.id} (${full.slug}) with phases ${full.phases.map((p) => `${p.id} ${p.key}`).join(', ')}`);
          return 0;
        }
        if (sub === 'show') {
          const ref = args.positionals[2];
          if (!ref) throw new UsageError('task show <id|slug>');
          const task = await getTask(db, /^\d+$/.test(ref) ? Number(ref) : ref);
          print(task, () => `${task.id} ${task.slug}: ${task.name}\n` + table(task.phases.map((p) => ({ id: p.id, key: p.key, labels: p.labels.join(','), items: p.stats.items, train: p.stats.train, test: p.stats.test }))));
          return 0;
        }
        throw new UsageError(`unknown: task ${sub ?? ''}`);
      }
      case 'items': {
        const split = str(args, 'split', false);
        if (split && split !== 'train' && split !== 'test') throw new UsageError('--split is train or test');
        const page = await listItems(db, int(args, 'phase')!, { split: split as 'train' | 'test' | undefined, limit: int(args, 'limit', false), afterId: int(args, 'after', false) });
        print(page, () => table(page.items.map((i) => ({ id: i.id, split: i.split, gold: i.goldLabel ?? '', text: i.text.replace(/\s+/g, ' ').slice(0, 60) }))) + (page.nextAfterId ? `\nmore: --after ${page.nextAfterId}` : ''));
        return 0;
      }
      case 'import': {
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
          if (report.invalid.count) {
            lines.push(`skipped ${report.invalid.count} invalid rows:`);
            for (const e of report.invalid.errors.slice(0, 50)) lines.push(`  ${path}:${e.line}: ${e.reason}`);
          }
          return lines.join('\n');
        });
        return 0;
      }
      case 'rounds': {
        const rounds = await listRounds(db, int(args, 'phase')!);
        print(rounds, () => table(rounds.map(roundLine)));
        return 0;
      }
      case 'round': {
        if (sub === 'show') {
          const id = Number(args.positionals[2]);
          if (!Number.isInteger(id)) throw new UsageError('round show <id>');
          const r = await getRound(db, id);
          print(r, () => table([roundLine(r)]));
          return 0;
        }
        if (sub !== 'start') throw new UsageError(`unknown: round ${sub ?? ''}`);
        const file = str(args, 'config', false);
        let config: Record<string, any> = {};
        if (file) {
          try {
            config = JSON.parse(readFileSync(file, 'utf8'));
          } catch (e) {
            throw new UsageError(`cannot read the round config ${file}: ${(e as Error).message}`);
          }
        }
        const arch = str(args, 'arch', false);
        if (arch && arch !== 'textcnn' && arch !== 'bilstm') throw new UsageError('--arch is textcnn or bilstm');
        if (arch) config.model = { ...(config.model ?? {}), arch };
        const num = (name: string) => {
          const v = str(args, name, false);
          if (v === undefined) return undefined;
          if (!Number.isFinite(Number(v))) throw new UsageError(`--${name} must be a number, got "${v}"`);
          return Number(v);
        };
        const train: Record<string, number> = { ...(config.train ?? {}) };
        for (const [flag, key] of [['epochs', 'epochs'], ['temperature', 'temperature'], ['alpha', 'alpha']] as const) {
          const v = num(flag);
          if (v !== undefined) train[key] = v;
        }
        config.train = train;
        if (num('human-weight') !== undefined) config.humanWeight = num('human-weight');
        if (args.flags['no-teacher'] === true) config.useTeacher = false;
        const sampling = str(args, 'sampling', false);
        if (sampling) config.sampling = sampling;
        const round = await startRound(db, { phaseId: int(args, 'phase')!, config });
        if (args.flags.wait !== true) {
          print(round, () => `started round ${round.number} of phase ${round.phaseId} (id ${round.id}); follow it with: npm run cli -- round show ${round.id}`);
          return 0;
        }
        io.err(`round ${round.number} of phase ${round.phaseId} (id ${round.id}) queued; waiting${hooks.startWorker ? ' (running a worker in this process)' : ''}…`);
        const stop = new AbortController();
        const worker = hooks.startWorker?.(stop.signal);
        let last = '';
        let r = await getRound(db, round.id);
        while (!isFinal(r.status) && r.status !== 'succeeded') {
          const p = r.progress;
          const line = p ? `${r.status} ${p.stage}${p.epoch != null ? ` epoch ${p.epoch}/${p.epochs}` : ''}${p.step ? ` step ${p.step}/${p.steps}` : ''}${p.loss != null ? ` loss ${p.loss.toFixed(4)}` : ''}${p.examplesPerSecond ? ` ${Math.round(p.examplesPerSecond)} ex/s` : ''}${p.scored != null ? ` scored ${p.scored}/${p.total}` : ''}` : r.status;
          if (line !== last) io.err(line);
          last = line;
          await new Promise((res) => setTimeout(res, 1000));
          r = await getRound(db, round.id);
        }
        stop.abort();
        await worker;
        print(r, () => table([roundLine(r)]) + (r.error ? `\nerror: ${r.error}` : ''));
        return r.status === 'succeeded' ? 0 : 1;
      }
      case 'worker': {
        if (!hooks.startWorker) throw new UsageError('this CLI cannot run a worker');
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        await hooks.startWorker(stop.signal);
        return 0;
      }
      case 'users': {
        const users = await listUsers(db);
        print(users, () => table(users.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, disabled: u.disabled ? 'yes' : '' }))));
        return 0;
      }
      case 'user': {
        if (sub === 'create') {
          const generated = args.flags.password === undefined;
          const password = generated ? randomBytes(9).toString('base64url') : str(args, 'password')!;
          const user = await createUser(db, { email: str(args, 'email')!, name: str(args, 'name')!, role: str(args, 'role')! as never, password });
          print({ user, ...(generated ? { password } : {}) }, () => `created ${user.role} ${user.email} (id ${user.id})${generated ? `, password: ${password}` : ''}`);
          return 0;
        }
        if (sub === 'set-role') {
          const role = str(args, 'role')!;
          if (!isRole(role)) throw new UsageError('--role is annotator, lead or admin');
          const u = await userByEmail(db, str(args, 'email')!);
          const user = await updateUser(db, u.id, { role });
          print({ user }, () => `${user.email} is now ${user.role}`);
          return 0;
        }
        throw new UsageError(`unknown: user ${sub ?? ''}`);
      }
      case 'queue': {
        if (sub !== 'next') throw new UsageError(`unknown: queue ${sub ?? ''}`);
        const u = await userByEmail(db, str(args, 'user')!);
        const batch = await nextItems(db, { phaseId: int(args, 'phase')!, userId: u.id, limit: int(args, 'limit', false) ?? 10 });
        print(batch, () =>
          table(batch.items.map((i) => ({ item: i.itemId, teacher: i.teacher?.label ?? '', student: i.student?.label ?? '', js: i.score ? i.score.js.toFixed(3) : '', text: i.text.replace(/\s+/g, ' ').slice(0, 60) }))) +
          `\nlabels: ${batch.labels.join(', ')}; remaining in queue: ${batch.remaining}; leased until ${batch.items[0]?.leaseExpiresAt ?? '—'}`,
        );
        return 0;
      }
      case 'annotate': {
        const u = await userByEmail(db, str(args, 'user')!);
        const phaseId = int(args, 'phase')!;
        const itemId = int(args, 'item')!;
        const label = str(args, 'label', false);
        const action = str(args, 'action', false) ?? 'label';
        if (action === 'label' && !label) throw new UsageError('annotate needs --label L (or --action skip|flag)');
        await leaseItem(db, { phaseId, userId: u.id, itemId });
        const out = await submit(db, { phaseId, userId: u.id, itemId, action, label: label ?? null, clientId: str(args, 'client-id', false) ?? `cli-${randomBytes(12).toString('hex')}` });
        print(out, () => `item ${itemId}: ${out.annotation.action}${out.annotation.label ? ` ${out.annotation.label}` : ''} (annotation ${out.annotation.id}${out.duplicate ? ', already stored' : ''})`);
        return 0;
      }
      case 'labels': {
        if (sub !== 'export') throw new UsageError(`unknown: labels ${sub ?? ''}`);
        const format = exportFormat(str(args, 'format', false));
        const out = str(args, 'out', false);
        const file = out ? createWriteStream(out) : null;
        let rows = 0;
        for await (const chunk of exportLabels(db, int(args, 'phase')!, format)) {
          rows += chunk.split('\n').length - 1;
          if (file) {
            if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
          } else io.out(chunk.replace(/\n$/, ''));
        }
        if (file) {
          await new Promise<void>((res, rej) => file.end((e?: Error | null) => (e ? rej(e) : res())));
          io.err(`wrote ${format === 'csv' ? rows - 1 : rows} annotations to ${out}`);
        }
        return 0;
      }
      case 'token': {
        if (sub !== 'create') throw new UsageError(`unknown: token ${sub ?? ''}`);
        const u = await userByEmail(db, str(args, 'email')!);
        const scopes = str(args, 'scopes', false)?.split(',').map((x) => x.trim());
        if (scopes && !scopes.every(isScope)) throw new UsageError(`--scopes: known scopes are ${ALL_SCOPES.join(', ')}`);
        const token = await createApiToken(db, u.id, str(args, 'name', false) ?? 'cli', scopes as Scope[] | undefined);
        print(token, () => token.token);
        return 0;
      }
      case undefined:
      case 'help':
        io.out(USAGE);
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof DomainError) {
      io.err(`error: ${e.message}`);
      const invalid = (e.details as { invalid?: { errors: { line: number; reason: string }[]; count: number } } | undefined)?.invalid;
      if (invalid) {
        const file = args.positionals[1] ?? '';
        for (const le of invalid.errors.slice(0, 50)) io.err(`  ${file}:${le.line}: ${le.reason}`);
        if (invalid.count > 50) io.err(`  … ${invalid.count - 50} more`);
      } else if (e.details) io.err(JSON.stringify(e.details, null, 2));
      return 1;
    }
    if (e instanceof ZodError) {
      io.err(`error: ${e.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
      return 1;
    }
    throw e;
  }
}
