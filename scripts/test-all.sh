#!/usr/bin/env bash
# The whole test suite: type check, unit tests, integration tests on SQLite and PostgreSQL,
# and Playwright e2e tests in Chromium against a production build.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/ensure-test-deps.sh
echo "== typecheck"; node_modules/.bin/tsc --noEmit
echo "== unit"; node_modules/.bin/vitest run --project unit
echo "== integration (sqlite + postgres)"; node_modules/.bin/vitest run --project integration
echo "== e2e (chromium)"; node_modules/.bin/playwright test
