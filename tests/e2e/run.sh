#!/usr/bin/env bash
# The web front end's end-to-end tests: builds web/dist, loads the demo data
# into a database of its own (marketplace_e2e) on the test cluster, serves it
# with BUILD_DIR's binary, and drives Debian's Chromium headless through the
# pages with playwright-core (tests/e2e/e2e.test.mjs).  Screenshots, the
# server's log and the home page's measurements go to BUILD_DIR/e2e/.
#   tests/e2e/run.sh BUILD_DIR      (scripts/test.sh runs it after ctest)
# Needs MARKETPLACE_TEST_DATABASE_URL: the owner's URL of the test cluster.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

build_dir=$(realpath "${1:?usage: tests/e2e/run.sh BUILD_DIR}")
owner_url=${MARKETPLACE_TEST_DATABASE_URL:?the owner URL of the test cluster}
out="$build_dir/e2e"
rm -rf "$out"
mkdir -p "$out/screenshots"

install_packages chromium
command -v node >/dev/null || install_packages nodejs npm
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "e2e: playwright-core needs Node.js 20 or later, found $(node --version)" >&2
	exit 1
fi
npm_ci "$ROOT/tests/e2e"
"$ROOT/scripts/build-web.sh"

# The demo data in a database of its own, so the other suites' data and
# this run's never meet.
db_url=${owner_url/\/marketplace\?//marketplace_e2e?}
psql "$owner_url" -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS marketplace_e2e WITH (FORCE)" -c "CREATE DATABASE marketplace_e2e"
bin="$build_dir/marketplace"
MARKETPLACE_DATABASE_URL=$db_url MARKETPLACE_LOG=warn "$bin" migrate
psql "$db_url" -X -q -v ON_ERROR_STOP=1 <"$ROOT/scripts/demo.sql"
MARKETPLACE_DATABASE_URL=$db_url MARKETPLACE_LOG=warn "$bin" seed-demo --listings 300 >/dev/null

port=$(free_port)
MARKETPLACE_DATABASE_URL=$db_url MARKETPLACE_LISTEN=127.0.0.1:$port MARKETPLACE_THREADS=2 \
	MARKETPLACE_WEB_DIR="$ROOT/web/dist" MARKETPLACE_LOG=info \
	"$bin" serve --no-migrate 2>"$out/server.log" &
server=$!
stop_server() {
	kill -TERM "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 300); do
	curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
	kill -0 "$server" 2>/dev/null || { echo "e2e: the server exited; its log:" >&2; tail -n 30 "$out/server.log" >&2; exit 1; }
	sleep 0.1
done

status=0
E2E_BASE_URL="http://127.0.0.1:$port" E2E_OUT="$out" \
	node --test --test-concurrency=1 "$ROOT/tests/e2e/e2e.test.mjs" || status=1
stop_server
trap - EXIT
# A sanitizer report in the server's log fails the run even when every page worked.
if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out/server.log"; then
	echo "e2e: the server reported a sanitizer error (see $out/server.log)" >&2
	status=1
fi
psql "$owner_url" -X -q -c "DROP DATABASE IF EXISTS marketplace_e2e WITH (FORCE)" || true
echo "==> e2e: screenshots in $out/screenshots, measurements in $out/home.json"
exit $status
