#!/usr/bin/env bash
# The whole test suite: type check, unit tests, integration tests on SQLite and PostgreSQL,
# and Playwright e2e tests in Chromium against a production build.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/ensure-test-deps.sh
echo "== typecheck"; node_modules/.bin/tsc --noEmit
mkdir -p test-reports
rm -f test-reports/unit.json test-reports/integration.json test-reports/e2e.json
echo "== unit"; node_modules/.bin/vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-reports/unit.json
echo "== build (the fault test and e2e run the production server)"; node_modules/.bin/tsx scripts/build.ts
echo "== integration (sqlite + postgres)"; node_modules/.bin/vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-reports/integration.json
echo "== e2e (chromium)"; node_modules/.bin/playwright test
echo "== all"; node scripts/test-summary.mjs
