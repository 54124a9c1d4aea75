import pg from 'pg';
import { pgAdminUrl, providers } from './helpers/db.ts';

/** Integration tests need a real PostgreSQL: fail early with a clear message when it is not there. */
export default async function setup() {
  if (!providers.includes('postgres')) return;
  const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${pgAdminUrl} (${(e as Error).message}). ` +
        'Start it (scripts/ensure-postgres.sh), set TEST_PG_URL, or set DISTILLERY_TEST_PROVIDERS=sqlite.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}
