#!/usr/bin/env bash
# The one test command (README "Tests"): installs what the tests need on a fresh Debian 12 machine
# (as root), builds, type-checks and runs every test. vitest's JSON report goes to
# test-results/vitest.json; screenshots and peer logs of failed runs stay under test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-deps.sh

echo "== build and type-check"
npm run --silent build
npx tsc -p tsconfig.json --noEmit

echo "== tests"
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
