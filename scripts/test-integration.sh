#!/usr/bin/env bash
# CI entry for the integration suites in a real VS Code (code-server + Chromium, no internet):
# installs code-server once into the cache, builds, runs the trusted and the restricted suites.
#   scripts/test-integration.sh [--skip-build] [extra run-in-server.ts options, e.g. --grep smoke]
set -euo pipefail
cd "$(dirname "$0")/.."

skip_build=0
if [ "${1:-}" = "--skip-build" ]; then skip_build=1; shift; fi

.ci/setup-vscode-server.sh >/dev/null
[ "$skip_build" = 1 ] || npm run build

status=0
node --import tsx test/integration/run-in-server.ts "$@" || status=$?
node --import tsx test/integration/run-in-server.ts --restricted "$@" || status=$?
exit "$status"
