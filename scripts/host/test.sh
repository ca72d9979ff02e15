#!/usr/bin/env bash
# npm test: every check and every test, on a fresh machine too.
# Lint and type-check, build, set the host up when it is not ready (docker engine,
# nginx, demo images: needs root), then run the unit and end-to-end suites.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf -- '-----> %s\n' "$*"; }

step 'lint (prettier --check)'
npx prettier --check --log-level warn .
step 'type-check'
npx tsc -p tsconfig.check.json
step 'build'
npm run -s build

if [ "$(id -u)" = 0 ]; then
  step 'host set-up (idempotent)'
  npm run -s setup-host
elif ! docker info >/dev/null 2>&1; then
  echo 'The end-to-end tests need a Docker engine and nginx: run `sudo npm run setup-host` once, then npm test again.' >&2
  exit 1
fi

step 'tests'
report=$(mktemp)
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
