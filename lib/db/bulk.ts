import type { Db } from './client.ts';
import { placeholders, providerOf } from './sql.ts';

/**
 * Inserts many rows with multi-row INSERT statements of `rowsPerStatement` rows each.
 * Deliberately not inside an interactive transaction: each statement is atomic on its own, and
 * the libsql adapter opens (and never closes) a new SQLite connection per interactive
 * transaction, which on a million-row write holds hundreds of MB. Callers make re-runs safe
 * (delete-then-insert, or an ON CONFLICT clause in `suffix`).
 */
export async function insertRows(
  db: Db,
  table: string,
  columns: readonly string[],
  count: number,
  row: (i: number) => readonly unknown[],
  options: { suffix?: string; rowsPerStatement?: number; onProgress?: (done: number) => void } = {},
): Promise<void> {
  const provider = providerOf(db);
  const per = options.rowsPerStatement ?? Math.max(1, Math.floor(4000 / columns.length));
    const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  for (let s = 0; s < count; s += per) {
    const end = Math.min(count, s + per);
    const values: unknown[] = [];
    for (let i = s; i < end; i++) values.push(...row(i));
    const tuples = Array.from({ length: end - s }, (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    const sql = head + tuples.join(', ') + (options.suffix ? ` ${options.suffix}` : '');
    await db.$executeRawUnsafe(placeholders(provider, sql), ...values);
    options.onProgress?.(end);
  }
}
