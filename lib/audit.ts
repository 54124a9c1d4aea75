import type { Db } from './db/client.ts';

/**
 * Who performs an action: a user's id (the console and the API pass the signed-in user), or
 * null for the operator at the CLI and for the system (demo setup, a round the teacher job starts).
 */
export type Actor = number | null;

/**
 * Appends a row to the audit trail. Called by the domain functions that change state on a
 * person's behalf (users, tokens, tasks, queue settings, imports, rounds, adjudication), never
 * by routes, so the API and the CLI write the same trail.
 */
export async function audit(db: Db, userId: Actor | undefined, action: string, target?: string, details?: unknown) {
  await db.auditLog.create({
    data: { userId: userId ?? null, action, target: target ?? null, details: details === undefined ? null : JSON.stringify(details) },
  });
}

/** The newest audit rows, newest first (the admin page). */
export async function recentAudit(db: Db, limit = 30) {
  return db.auditLog.findMany({ orderBy: { id: 'desc' }, take: limit });
}
