import { createDatabase, tuneSqlite } from '../lib/db/client.ts';
import { migrate } from '../lib/db/migrate.ts';

const database = createDatabase();
await tuneSqlite(database);
const ran = await migrate(database, (m) => console.log(m));
console.log(`${database.config.provider}: ${ran.length ? `applied ${ran.length} migration(s)` : 'up to date'}`);
await database.db.$disconnect();
