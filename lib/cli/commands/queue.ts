import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { leaseItem, nextItems, submit } from '../../queue/annotate.ts';
import { exportFormat, exportLabels } from '../../queue/export.ts';
import { int, str, UsageError } from '../args.ts';
import { table, userByEmail, type CliContext, type Command } from '../context.ts';

/** `queue next --phase ID --user EMAIL`: lease the next items of the annotation queue. */
async function queue({ db, args, sub, print }: CliContext): Promise<number> {
  if (sub !== 'next') throw new UsageError(`unknown: queue ${sub ?? ''}`);
  const u = await userByEmail(db, str(args, 'user')!);
  const batch = await nextItems(db, { phaseId: int(args, 'phase')!, userId: u.id, limit: int(args, 'limit', false) ?? 10 });
  print(batch, () =>
    table(batch.items.map((i) => ({ item: i.itemId, teacher: i.teacher?.label ?? '', student: i.student?.label ?? '', js: i.score ? i.score.js.toFixed(3) : '', text: i.text.replace(/\s+/g, ' ').slice(0, 60) }))) +
    `\nlabels: ${batch.labels.join(', ')}; remaining in queue: ${batch.remaining}; leased until ${batch.items[0]?.leaseExpiresAt ?? '—'}`,
  );
  return 0;
}

/** `annotate --phase ID --item ID --user EMAIL (--label L | --action skip|flag)`. */
async function annotate({ db, args, print }: CliContext): Promise<number> {
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

/** `labels export --phase ID [--format csv|jsonl] [--out FILE]`. */
async function labels({ db, args, sub, io }: CliContext): Promise<number> {
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

export const commands: Record<string, Command> = { queue, annotate, labels };
