#!/usr/bin/env bash
# The README's second command (and all that .ci/run does): install, build
# twice (optimised, and with AddressSanitizer + UndefinedBehaviorSanitizer),
# start a throw-away PostgreSQL cluster, run every test with ctest in the
# sanitizer build and the tests that need no database in the optimised one,
# drive the web front end in Debian's Chromium against the optimised server
# (tests/e2e/run.sh), check that scripts/serve.sh works from a fresh copy of the checkout
# (tests/serve_smoke.sh, the optimised binary serving), run each fuzz target
# for 15 s (tests/fuzz/run.sh), and stop the cluster.  Valgrind's memcheck
# over the optimised build is tests/valgrind/run.sh, run by hand: with
# every password hash taking seconds under it, it would not fit in CI's time.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# chromium: the browser of the web front end's end-to-end tests.
test_packages=("${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}" chromium)
command -v npm >/dev/null || test_packages+=(nodejs npm)
install_packages "${test_packages[@]}"

echo "==> installing the OpenAPI linter"
npm install --silent --no-audit --no-fund --prefix "$ROOT/.local/npm" @redocly/cli@1.34.20 >/dev/null

echo "==> building in build-test (optimised) and build-asan (sanitizers)"
build "$ROOT/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo
build "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DMARKETPLACE_SANITIZE=ON

data=$(mktemp -d /tmp/marketplace-test-pg.XXXXXX)
port=${MARKETPLACE_TEST_PG_PORT:-55433}
cleanup() {
	pg_stop "$data"
	rm -rf "$data"
}
trap cleanup EXIT
echo "==> starting a test PostgreSQL in $data on port $port"
# The owner's URL: the tests' own SQL uses it, and the servers they start
# migrate with it and serve as $PG_SERVE_ROLE (tests/integration/harness.h).
MARKETPLACE_TEST_DATABASE_URL=$(pg_start "$data" "$port")
export MARKETPLACE_TEST_DATABASE_URL
export MARKETPLACE_TEST_PG_STOP="$ROOT/scripts/pg.sh stop $data"
export MARKETPLACE_TEST_PG_START="$ROOT/scripts/pg.sh start $data $port >/dev/null"
# Sanitizer reports exit with statuses of their own, never the 1 or 2 that
# tests expect from commands failing on purpose: 86 ASan, 87 LeakSanitizer,
# 88 UBSan (in an ASan build LeakSanitizer is part of ASan and the two share
# the status read last, 87).  tests/CMakeLists.txt sets the same for ctest.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:exitcode=86}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=87}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=88}

status=0
# The integration suites take minutes each time, mostly waiting on purpose
# (timeouts, restarts, hashing): they run once, in the build that checks
# every access they make.
if [ $# -eq 0 ]; then
	echo "==> ctest in build-test (the tests that need no database)"
	ctest --test-dir "$ROOT/build-test" --output-on-failure -E '^(integration_|evidence_)' || status=1
fi
echo "==> ctest in build-asan"
ctest --test-dir "$ROOT/build-asan" --output-on-failure "$@" || status=1
# The web front end end to end, the README's first command from a fresh
# copy of the checkout, and each fuzz target for 15 s; not when arguments
# chose some tests only.
if [ $# -eq 0 ]; then
	echo "==> end-to-end tests of the web front end (Chromium, optimised server)"
	"$ROOT/tests/e2e/run.sh" "$ROOT/build-test" || status=1
	"$ROOT/tests/serve_smoke.sh" || status=1
	echo "==> fuzzing each target for 15 s"
	"$ROOT/tests/fuzz/run.sh" 15 || status=1
else
	echo "==> end-to-end, serve smoke and fuzzing skipped: ctest arguments were given"
fi
exit $status
