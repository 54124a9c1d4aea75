/** What every CLI command gets: the database, its arguments, output, and the process hooks. */
import type { Db } from '../db/client.ts';
import { DomainError, forbidden } from '../errors.ts';
import { hasRole } from '../auth/roles.ts';
import type { Args } from './args.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CliHooks {
  /** Runs a worker in this process until the signal aborts (used by round start --wait). */
  startWorker?: (signal: AbortSignal) => Promise<unknown>;
}

export interface CliContext {
  db: Db;
  args: Args;
  /** The second positional (`task create` → 'create'). */
  sub: string | undefined;
  io: Io;
  hooks: CliHooks;
  /** --json: print data as JSON instead of the human form. */
  asJson: boolean;
  print(data: unknown, human: () => string): void;
}

/** One command (or command group): returns the exit code (0 ok, 1 failed). */
export type Command = (c: CliContext) => Promise<number>;

export const table = (rows: Record<string, unknown>[]): string => {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: unknown[]) => vals.map((v, i) => String(v ?? '').padEnd(w[i])).join('  ').trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
};

export async function userByEmail(db: Db, email: string) {
  const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!u) throw new DomainError(`no user with email ${email}`, 404, 'not_found');
  return u;
}

/** The lead named by --user: the actor the audit trail records for a lead's action at the CLI. */
export async function leadByEmail(db: Db, email: string, doing: string) {
  const u = await userByEmail(db, email);
  if (!hasRole(u.role, 'lead')) throw forbidden(`${email} is ${u.role}; ${doing} needs a lead`);
  return u;
}
