/**
 * A claimer in its own OS process, for the concurrency test. Started once and reused for each
 * database under test (process start-up is the slow part). Protocol, one line each way:
 *   → "open {provider, url}"  ← "opened"   (connects before the race starts)
 *   → "go"                    ← {claimer, ids, startedAt, lastAt} as JSON, after claiming and
 *                               completing jobs until none is left
 * It prints "ready" first and exits when stdin closes. Env: CLAIMER_ID.
 */
import { createInterface } from 'node:readline';
import { createDatabase, tuneSqlite, type Database } from '../../lib/db/client.ts';
import { claim, complete } from '../../lib/jobs/queue.ts';

const me = process.env.CLAIMER_ID!;
let database: Database | null = null;

async function race(db: Database) {
  const ids: number[] = [];
  const startedAt = Date.now();
  let lastAt = startedAt;
  for (;;) {
    const job = await claim(db, { workerId: me, leaseMs: 60_000 });
    if (!job) break;
    ids.push(job.id);
    lastAt = Date.now();
    if (!(await complete(db, job.id, me, { by: me }))) throw new Error(`${me} lost job ${job.id} it had just claimed`);
  }
  return { claimer: me, ids, startedAt, lastAt };
}

async function handle(line: string) {
  if (line.startsWith('open ')) {
    const { provider, url } = JSON.parse(line.slice(5)) as { provider: 'sqlite' | 'postgres'; url: string };
    database =
      provider === 'sqlite' ? createDatabase({ provider, url, file: url.slice('file:'.length) }) : createDatabase({ provider, url });
    await tuneSqlite(database);
    await database.db.$queryRawUnsafe('SELECT 1');
    console.log('opened');
  } else if (line === 'go') {
    const report = await race(database!);
    await database!.db.$disconnect();
    database = null;
    console.log(JSON.stringify(report));
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => handle(line.trim())).catch((e) => {
    console.error(e);
    process.exit(1);
  });
});
console.log('ready');
