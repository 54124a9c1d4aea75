import { FLAG_ACTIONS, FLAG_STATUSES, listFlags, resolveFlag, type FlagAction, type FlagStatus } from '../../queue/flags.ts';
import { int, str, UsageError } from '../args.ts';
import { leadByEmail, table, type CliContext, type Command } from '../context.ts';

const oneLine = (s: string, max: number) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** `flags --phase ID [--status open|resolved|all] [--limit N]`: flagged items with the annotators' notes. */
async function flags({ db, args, print }: CliContext): Promise<number> {
  const status = (str(args, 'status', false) ?? 'open') as FlagStatus;
  if (!(FLAG_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${FLAG_STATUSES.join(', ')}`);
  const list = await listFlags(db, { phaseId: int(args, 'phase')!, status, limit: int(args, 'limit', false) ?? 100 });
  print(list, () =>
    table(
      list.items.map((i) => ({
        item: i.itemId,
        status: i.status,
        teacher: i.teacher?.label ?? '',
        student: i.student?.label ?? '',
        'flagged by': i.flags.map((f) => f.email).join(', '),
        notes: oneLine(i.flags.map((f) => f.note).filter(Boolean).join(' | '), 50),
        text: oneLine(i.text, 50),
      })),
    ) + `\n${list.open} item${list.open === 1 ? '' : 's'} with open flags`,
  );
  return 0;
}

/** `flag label|requeue|dismiss --phase ID --item ID --user LEAD [--label L]`. */
async function flag({ db, args, sub, print }: CliContext): Promise<number> {
  if (!sub || !(FLAG_ACTIONS as readonly string[]).includes(sub)) throw new UsageError(`flag ${FLAG_ACTIONS.join('|')} --phase ID --item ID --user EMAIL [--label L]`);
  const lead = await leadByEmail(db, str(args, 'user')!, 'acting on flags');
  const out = await resolveFlag(db, { phaseId: int(args, 'phase')!, itemId: int(args, 'item')!, action: sub as FlagAction, label: str(args, 'label', false), userId: lead.id });
  print(out, () => `item ${out.itemId}: ${out.resolution}${out.label ? ` “${out.label}”` : ''}${out.duplicate ? ' (already so)' : ` (${out.flags} flag${out.flags === 1 ? '' : 's'})`}`);
  return 0;
}

export const commands: Record<string, Command> = { flags, flag };
