import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { leaseItem, nextItems, submit } from '../../queue/annotate.ts';
import { exportFormat, exportLabels } from '../../queue/export.ts';
import { queueStatus } from '../../queue/queue-status.ts';
import { recentAnswers } from '../../queue/recent-answers.ts';
import { changeAnswer } from '../../queue/change-answer.ts';
import type { EmptyState } from '../../queue/empty-state.ts';
import { hasRole } from '../../auth/roles.ts';
import { int, str, UsageError } from '../args.ts';
import { table, userByEmail, type CliContext, type Command } from '../context.ts';

const explain = (s: EmptyState) => [s.title, s.detail, ...s.notes, ...s.actions.map((a) => `lead: ${a.label}`)].join('\n');

/**
 * `queue next --phase ID --user EMAIL`: lease the next items of the annotation queue (when there
 * are none, say why). `queue status --phase ID --user EMAIL`: the queue as that user sees it.
 */
async function queue({ db, args, sub, print }: CliContext): Promise<number> {
  if (sub !== 'next' && sub !== 'status') throw new UsageError(`unknown: queue ${sub ?? ''}`);
  const u = await userByEmail(db, str(args, 'user')!);
  const phaseId = int(args, 'phase')!;
  if (sub === 'status') {
    const status = await queueStatus(db, { phaseId, userId: u.id, lead: hasRole(u.role, 'lead') });
    const f = status.facts;
    print(status, () =>
      `items ${f.items} (pool ${f.trainItems}); queued ${f.queued}, open ${f.open}, leased to others ${f.leasedToOthers}; ranked by ${f.studentModelId ? `student model ${f.studentModelId}` : "the teacher's uncertainty (no student yet)"}\n` +
      (status.state.reason === 'available' ? 'Items are ready for this user.' : explain(status.state)),
    );
    return 0;
  }
  const batch = await nextItems(db, { phaseId, userId: u.id, limit: int(args, 'limit', false) ?? 10 });
  const why = batch.items.length ? null : await queueStatus(db, { phaseId, userId: u.id, lead: hasRole(u.role, 'lead') });
  print(why ? { ...batch, empty: why.state } : batch, () =>
    why
      ? explain(why.state)
      : table(batch.items.map((i) => ({ item: i.itemId, teacher: i.teacher?.label ?? '', student: i.student?.label ?? '', js: i.score ? i.score.js.toFixed(3) : '', text: i.text.replace(/\s+/g, ' ').slice(0, 60) }))) +
        `\nlabels: ${batch.labels.join(', ')}; remaining in queue: ${batch.remaining}; leased until ${batch.items[0]?.leaseExpiresAt ?? '—'}`,
  );
  return 0;
}

/** `annotate --phase ID --item ID --user EMAIL (--label L | --action skip|flag) [--note TEXT]`. */
async function annotate({ db, args, print }: CliContext): Promise<number> {
  const u = await userByEmail(db, str(args, 'user')!);
  const phaseId = int(args, 'phase')!;
  const itemId = int(args, 'item')!;
  const label = str(args, 'label', false);
  const action = str(args, 'action', false) ?? 'label';
  if (action === 'label' && !label) throw new UsageError('annotate needs --label L (or --action skip|flag)');
  await leaseItem(db, { phaseId, userId: u.id, itemId });
  const out = await submit(db, { phaseId, userId: u.id, itemId, action, label: label ?? null, note: str(args, 'note', false), clientId: str(args, 'client-id', false) ?? `cli-${randomBytes(12).toString('hex')}` });
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

/**
 * `answers --phase ID --user EMAIL [--limit N]`: that user's last answers (with client id and
 * revision); `answer change --phase ID --user EMAIL --client-id C --revision R (--label L | --action skip|flag) [--note TEXT]`.
 */
async function answers({ db, args, print }: CliContext): Promise<number> {
  const u = await userByEmail(db, str(args, 'user')!);
  const list = await recentAnswers(db, { phaseId: int(args, 'phase')!, userId: u.id, limit: int(args, 'limit', false) ?? 20 });
  print(list, () => table(list.map((a) => ({ item: a.itemId, answer: a.action === 'label' ? a.label : a.action, note: (a.note ?? '').slice(0, 30), revision: a.revision, at: a.createdAt, 'client id': a.clientId, text: a.text.replace(/\s+/g, ' ').slice(0, 40) }))));
  return 0;
}

async function answer({ db, args, sub, print }: CliContext): Promise<number> {
  if (sub !== 'change') throw new UsageError(`unknown: answer ${sub ?? ''}`);
  const u = await userByEmail(db, str(args, 'user')!);
  const label = str(args, 'label', false);
  const action = str(args, 'action', false) ?? 'label';
  if (action === 'label' && !label) throw new UsageError('answer change needs --label L (or --action skip|flag)');
  const out = await changeAnswer(db, { phaseId: int(args, 'phase')!, userId: u.id, clientId: str(args, 'client-id')!, revision: int(args, 'revision')!, action, label: label ?? null, note: str(args, 'note', false) });
  print(out, () => `item ${out.answer.itemId}: ${out.answer.action}${out.answer.label ? ` ${out.answer.label}` : ''} (revision ${out.answer.revision}${out.duplicate ? ', already so' : ''})`);
  return 0;
}

export const commands: Record<string, Command> = { queue, annotate, labels, answers, answer };
