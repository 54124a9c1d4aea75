/**
 * The CLI (`npm run cli -- <command>`): one module per command group under ./commands, and this
 * dispatcher, which also turns errors into exit codes and messages.
 */
import type { Db } from '../db/client.ts';
import { DomainError, fromPrismaError } from '../errors.ts';
import { ZodError } from 'zod';
import { parseArgs, UsageError, type Args } from './args.ts';
import { table, type CliHooks, type Command, type Io } from './context.ts';
import { commands as taskCommands } from './commands/tasks.ts';
import { commands as importCommands } from './commands/import.ts';
import { commands as roundCommands } from './commands/rounds.ts';
import { commands as userCommands } from './commands/users.ts';
import { commands as queueCommands } from './commands/queue.ts';
import { commands as flagCommands } from './commands/flags.ts';

export type { CliHooks, Io } from './context.ts';
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
  round start --phase ID [--arch textcnn|bilstm|ngram] [--epochs N] [--temperature T] [--alpha A]
              [--human-weight W] [--sampling loss|uniform] [--select-by loss|accuracy] [--no-teacher] [--config FILE.json] [--wait]
  rounds --phase ID [--json]                       rounds with status, backend, metrics, durations, the gain per
                                                   100 new human labels (± SE), the stopping signal, the queue's yield
  round show ID [--json]
  round compare --phase ID A B [--limit N] [--json]
                                                   rounds A and B (numbers) side by side: metrics, paired gain,
                                                   agreement, the items whose prediction changed
  round auto --phase ID --after N|off [--user E]   start a round by itself after N new human labels (a worker checks)
  worker                                           run a worker in this process (same as npm run worker)
  queue next --phase ID --user EMAIL [--limit N] [--json]
                                                   lease the next items of the disagreement queue to that user
  queue status --phase ID --user EMAIL [--json]    the queue as that user sees it; when empty, why (and for a lead what fills it)
  annotate --phase ID --item ID --user EMAIL (--label L | --action skip|flag) [--note TEXT]
                                                   answer an item as that user (leases it first if needed)
  answers --phase ID --user EMAIL [--limit N] [--json]
                                                   that user's last answers, with client id and revision
  answer change --phase ID --user EMAIL --client-id C --revision R (--label L | --action skip|flag) [--note TEXT]
                                                   change one answer (a retry is a no-op; a stale revision is refused)
  flags --phase ID [--status open|resolved|all] [--limit N] [--json]
                                                   flagged items with the annotators' notes
  flag label|requeue|dismiss --phase ID --item ID --user LEAD [--label L]
                                                   act on an item's flags: a trusted label, back to the queue, or dismiss
  labels export --phase ID [--format csv|jsonl] [--out FILE]
                                                   every non-undone answer with annotator, time and probabilities shown
${MODEL_USAGE}`;

const COMMANDS: Record<string, Command> = { ...taskCommands, ...importCommands, ...roundCommands, ...userCommands, ...queueCommands, ...flagCommands };

/** Runs one CLI command; returns the process exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], db: Db, io: Io, hooks: CliHooks = {}): Promise<number> {
  const args: Args = parseArgs(argv);
  const [cmd, sub] = args.positionals;
  const asJson = args.flags.json === true;
  const print = (data: unknown, human: () => string) => io.out(asJson ? JSON.stringify(data, null, 2) : human());
  try {
    if (cmd === undefined || cmd === 'help') {
      io.out(USAGE);
      return cmd ? 0 : 2;
    }
    const handled = await runModelCommand(args, db, io, print, table);
    if (handled !== null) return handled;
    const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!command) throw new UsageError(`unknown command "${cmd}"`);
    return await command({ db, args, sub, io, hooks, asJson, print });
  } catch (error) {
    const e = fromPrismaError(error) ?? error;
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
