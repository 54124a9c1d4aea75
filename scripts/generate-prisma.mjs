// Derives the PostgreSQL schema from the SQLite one and generates both Prisma clients.
// Prisma 7's CLI fetches a native schema engine on every command; `generate` does not need
// it, so it runs offline with PRISMA_SCHEMA_ENGINE_BINARY pointing anywhere.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sqliteSchema = join(root, 'prisma/sqlite/schema.prisma');
const pgSchema = join(root, 'prisma/postgres/schema.prisma');

export function derivePostgresSchema(source) {
  return source
    .replace(/^\/\/ Source of truth[^\n]*\n\/\/[^\n]*\n/m, '// GENERATED from prisma/sqlite/schema.prisma by scripts/generate-prisma.mjs: do not edit.\n')
    .replace('output       = "../../lib/db/generated/sqlite"', 'output       = "../../lib/db/generated/postgres"')
    .replace('provider = "sqlite"', 'provider = "postgresql"');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const derived = derivePostgresSchema(readFileSync(sqliteSchema, 'utf8'));
  mkdirSync(dirname(pgSchema), { recursive: true });
  writeFileSync(pgSchema, derived);
}

if (isMain && !process.argv.includes('--schema-only')) {
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
  for (const schema of [sqliteSchema, pgSchema]) {
    execFileSync(process.execPath, [join(root, 'node_modules/prisma/build/index.js'), 'generate', '--schema', schema], { stdio: 'inherit', env, cwd: root });
  }
}
