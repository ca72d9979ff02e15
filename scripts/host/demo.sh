#!/usr/bin/env bash
# npm run demo: set the host up, build, then start the agent and provision the tenant "demo".
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run -s setup-host
echo "-----> Building"
npm run -s build
exec node dist/agent/demo.js
