import { getDatabase } from '../lib/db/client.ts';
import { runCli } from '../lib/cli/cli.ts';

const { db } = await getDatabase();
const code = await runCli(process.argv.slice(2), db, { out: (l) => console.log(l), err: (l) => console.error(l) });
await db.$disconnect();
process.exit(code);
