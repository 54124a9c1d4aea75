import type { Db } from './db/client.ts';

export async function audit(db: Db, userId: number | null | undefined, action: string, target?: string, details?: unknown) {
  await db.auditLog.create({
    data: { userId: userId ?? null, action, target: target ?? null, details: details === undefined ? null : JSON.stringify(details) },
  });
}
