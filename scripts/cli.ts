import { getDatabase, tuneSqlite } from '../lib/db/client.ts';
import { runCli } from '../lib/cli/cli.ts';
import { defaultWorkerId, runWorker } from '../lib/jobs/runner.ts';
import { handlers, periodic } from '../workers/handlers.ts';

// A person waits on the CLI, not a browser: a locked SQLite file is waited for longer than in the console.
process.env.DISTILLERY_SQLITE_BUSY_WAIT_MS ??= '30000';
const database = await getDatabase();
await tuneSqlite(database);
const code = await runCli(process.argv.slice(2), database.db, { out: (l) => console.log(l), err: (l) => console.error(l) }, {
  startWorker: (signal) => runWorker({ database, workerId: `cli:${defaultWorkerId()}`, handlers, periodic, signal, log: (l) => console.error(l) }),
});
await database.db.$disconnect();
process.exit(code);
