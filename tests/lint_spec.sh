#!/usr/bin/env bash
# Lints api-spec/openapi.yaml with Redocly's recommended rules (installed by scripts/test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
redocly="$root/.local/npm/node_modules/.bin/redocly"
if [ ! -x "$redocly" ]; then
	echo "redocly is not installed; run scripts/test.sh (it installs @redocly/cli)" >&2
	exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec "$redocly" lint --config "$root/api-spec/redocly.yaml" "$root/api-spec/openapi.yaml"
