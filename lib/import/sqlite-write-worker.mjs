/**
 * The SQLite side of an import's pass 2, on a thread of its own (see openBatchWriter in
 * write.ts): it owns the import's connection and runs each batch as BEGIN IMMEDIATE … COMMIT
 * while the main thread parses, validates and hashes the next batch. libsql runs statements
 * synchronously on the calling thread, so without this thread parsing and writing take turns.
 *
 * Plain JavaScript with no project imports, so that it starts the same under tsx, vitest and
 * Next's server. Messages in: {type: 'open', file, pragmas}, {type: 'batch', id, ...},
 * {type: 'close'}; out: {type: 'opened'} | {type: 'done', id, inserted, predictions} |
 * {type: 'failed', id?, message, code?}.
 */

import { parentPort } from 'node:worker_threads';
import Database from 'libsql';

let db = null;
let insertItems = null;
let insertPredictions = null;

parentPort.on('message', (msg) => {
  if (msg.type === 'open') {
    try {
      db = new Database(msg.file);
      for (const p of msg.pragmas) db.exec(p);
      insertItems = db.prepare(msg.insertItems);
      insertPredictions = db.prepare(msg.insertPredictions);
      parentPort.postMessage({ type: 'opened' });
    } catch (e) {
      parentPort.postMessage({ type: 'failed', message: String(e?.message ?? e), code: e?.code });
    }
    return;
  }
  if (msg.type === 'batch') {
    try {
      parentPort.postMessage({ type: 'done', id: msg.id, ...writeBatch(msg) });
    } catch (e) {
      parentPort.postMessage({ type: 'failed', id: msg.id, message: String(e?.message ?? e), code: e?.code });
    }
    return;
  }
  if (msg.type === 'close') {
    try {
      db?.close();
    } finally {
      db = null;
      parentPort.close();
    }
  }
});

/** One batch in one transaction; the same statements and logic as writeSqlite in write.ts. */
function writeBatch({ phaseId, now, chunks, teacherIds }) {
  db.exec('BEGIN IMMEDIATE');
  try {
    const predictions = teacherIds.map(() => 0);
    let inserted = 0;
    for (const chunk of chunks) {
      const r = insertItems.run(phaseId, now, chunk.items);
      const n = Number(r.changes);
      if (n === 0) continue;
      inserted += n;
      const before = Number(r.lastInsertRowid) - n;
      for (let k = 0; k < teacherIds.length; k++) {
        const preds = chunk.predictions[k];
        if (preds) predictions[k] += Number(insertPredictions.run(teacherIds[k], preds, phaseId, before).changes);
      }
    }
    db.exec('COMMIT');
    return { inserted, predictions };
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // the transaction may already be gone
    }
    throw e;
  }
}
