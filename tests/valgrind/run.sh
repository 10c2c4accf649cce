#!/usr/bin/env bash
# Valgrind's memcheck over a representative part of the integration suite:
# the suites named below (or on the command line) run against the release
# build (BUILD_DIR, e.g. build-test) with every server and command they start
# under memcheck, through a wrapper given as MARKETPLACE_BIN.  A server with
# a memcheck error exits 99 instead of 0, which fails its suite; and the
# summary below adds up every process's report.  Needs the test database of
# scripts/test.sh (MARKETPLACE_TEST_DATABASE_URL etc.).
#   tests/valgrind/run.sh build-test                 the default suites
#   tests/valgrind/run.sh build-test listings deals  the suites named
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:?usage: $0 BUILD_DIR [SUITE...]}")
shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(listings deals saved_searches notifications organizations indicators caches)
command -v valgrind >/dev/null || { echo "$0: valgrind is not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/marketplace-valgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Only what the server loses for good counts; libpq, OpenSSL and libevent
# keep some memory reachable until exit on purpose.
cat >"$work/marketplace" <<WRAPPER
#!/bin/sh
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--num-callers=30 --log-file="$work/memcheck.%p.log" "$build/marketplace" "\$@"
WRAPPER
chmod +x "$work/marketplace"

status=0
for s in "${suites[@]}"; do
	echo "==> memcheck: integration_$s"
	start=$(date +%s)
	if ! MARKETPLACE_BIN="$work/marketplace" MARKETPLACE_TEST_START_LIMIT_MS=120000 "$build/tests/test_$s"; then
		status=1
	fi
	echo "==> memcheck: integration_$s took $(($(date +%s) - start)) s"
done

processes=$(ls "$work"/memcheck.*.log 2>/dev/null | wc -l)
errors=$(cat "$work"/memcheck.*.log 2>/dev/null | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	awk '{n += $1} END {print n + 0}')
lost=$(cat "$work"/memcheck.*.log 2>/dev/null | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' |
	tr -d , | awk '{n += $1} END {print n + 0}')
echo "==> memcheck: ${#suites[@]} suites, $processes processes under memcheck, $errors errors, $lost bytes definitely lost"
if [ "$errors" != 0 ]; then
	grep -l -E 'ERROR SUMMARY: [1-9]' "$work"/memcheck.*.log | head -n 3 | xargs -r cat >&2
	status=1
fi
if [ "$processes" = 0 ]; then
	echo "$0: no process ran under memcheck" >&2
	status=1
fi
exit $status
