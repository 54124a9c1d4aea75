import { readFileSync } from 'node:fs';
import { createTask, getTask, listItems, listTasks } from '../../tasks/tasks.ts';
import { int, str, UsageError } from '../args.ts';
import { table, type CliContext, type Command } from '../context.ts';

/** `tasks`: tasks with phases and counts. */
async function tasks({ db, print }: CliContext): Promise<number> {
  const tasks = await listTasks(db);
  print(tasks, () =>
    table(tasks.flatMap((t) => t.phases.map((p) => ({ task: `${t.id} ${t.slug}`, phase: `${p.id} ${p.key}`, labels: p.labels.join(','), items: p.stats.items, train: p.stats.train, test: p.stats.test, gold: p.stats.gold, teachers: p.stats.teachers.map((x) => x.name).join(',') })))),
  );
  return 0;
}

/** `task create --spec FILE`, `task show <id|slug>`. */
async function task({ db, args, sub, print }: CliContext): Promise<number> {
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

/** `items --phase ID`: one page of a phase's items. */
async function items({ db, args, print }: CliContext): Promise<number> {
  const split = str(args, 'split', false);
  if (split && split !== 'train' && split !== 'test') throw new UsageError('--split is train or test');
  const page = await listItems(db, int(args, 'phase')!, { split: split as 'train' | 'test' | undefined, limit: int(args, 'limit', false), afterId: int(args, 'after', false) });
  print(page, () => table(page.items.map((i) => ({ id: i.id, split: i.split, gold: i.goldLabel ?? '', text: i.text.replace(/\s+/g, ' ').slice(0, 60) }))) + (page.nextAfterId ? `\nmore: --after ${page.nextAfterId}` : ''));
  return 0;
}

export const commands: Record<string, Command> = { tasks, task, items };
