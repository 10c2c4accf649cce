#!/usr/bin/env bash
# Valgrind's memcheck over a representative part of the integration suite:
# the suites named (or the default ones below) run against the optimised
# build with every server and command they start under memcheck, through a
# wrapper given as MARKETPLACE_BIN.  A process with a memcheck error exits 99
# instead of 0, which fails its suite (the harness asserts that servers exit
# 0), and the summary adds up every process's report.
#
# Not part of scripts/test.sh: under memcheck each password hash takes 5-10 s,
# so a suite takes minutes (README, "Memory checking").  Like test.sh it
# installs what it needs, builds build-test, and runs a throw-away cluster
# (port 55434) unless MARKETPLACE_TEST_DATABASE_URL names one.
#   tests/valgrind/run.sh                  the default suites
#   tests/valgrind/run.sh listings deals   the suites named
# BUILD_DIR=<dir> runs a build already made there instead.
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(http listings notifications caches authz write_path)
install_packages "${BUILD_PACKAGES[@]}" valgrind
build_dir=${BUILD_DIR:-}
if [ -z "$build_dir" ]; then
	build_dir="$ROOT/build-test"
	echo "==> building in build-test (optimised)"
	build "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
build_dir=$(realpath "$build_dir")

work=$(mktemp -d /tmp/marketplace-valgrind.XXXXXX)
data=""
cleanup() {
	[ -z "$data" ] || pg_stop "$data"
	rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${MARKETPLACE_TEST_DATABASE_URL:-}" ]; then
	data="$work/pg"
	port=${MARKETPLACE_TEST_PG_PORT:-55434}
	echo "==> starting a test PostgreSQL in $data on port $port"
	MARKETPLACE_TEST_DATABASE_URL=$(pg_start "$data" "$port")
	export MARKETPLACE_TEST_DATABASE_URL
	export MARKETPLACE_TEST_PG_STOP="$ROOT/scripts/pg.sh stop $data"
	export MARKETPLACE_TEST_PG_START="$ROOT/scripts/pg.sh start $data $port >/dev/null"
fi

# Only what the server loses for good counts; libpq, OpenSSL and libevent
# keep some memory reachable until exit on purpose.
cat >"$work/marketplace" <<WRAPPER
#!/bin/sh
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--num-callers=30 --log-file="$work/memcheck.%p.log" "$build_dir/marketplace" "\$@"
WRAPPER
chmod +x "$work/marketplace"

status=0
for s in "${suites[@]}"; do
	echo "==> memcheck: integration_$s"
	start=$(date +%s)
	# A server under memcheck hashes its dummy password for about 10 s before it answers,
	# and every test runs several times slower.
	if ! MARKETPLACE_BIN="$work/marketplace" MARKETPLACE_TEST_START_LIMIT_MS=120000 CK_TIMEOUT_MULTIPLIER=10 \
		"$build_dir/tests/test_$s"; then
		status=1
	fi
	echo "==> memcheck: integration_$s took $(($(date +%s) - start)) s"
done

processes=$(find "$work" -name 'memcheck.*.log' | wc -l)
errors=$(cat "$work"/memcheck.*.log 2>/dev/null | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	awk '{n += $1} END {print n + 0}')
lost=$(cat "$work"/memcheck.*.log 2>/dev/null | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' |
	tr -d , | awk '{n += $1} END {print n + 0}')
echo "==> memcheck: ${#suites[@]} suites, $processes processes under memcheck, $errors errors," \
	"$lost bytes definitely lost"
if [ "$errors" != 0 ]; then
	grep -l -E 'ERROR SUMMARY: [1-9]' "$work"/memcheck.*.log | head -n 3 | xargs -r cat >&2
	status=1
fi
if [ "$processes" = 0 ]; then
	echo "$0: no process ran under memcheck" >&2
	status=1
fi
exit $status
