#!/usr/bin/env bash
# ctest's last test (tests/CMakeLists.txt): over what the integration suites
# left in DIR (tests/integration/evidence.h), fails when
#   - any password or token the suites used appears in any server's log, or
#   - any response body showed the server's insides (SQL, PostgreSQL's or a
#     sanitizer's text, a stack trace or a source location), or
#   - responses were examined but no server's log was kept (the gathering
#     is broken, and the check would prove nothing).
# Prints what it examined.  Suites run without any HTTP request (ctest -R
# seed_demo) leave nothing to examine.
set -euo pipefail
dir=${1:?usage: $0 EVIDENCE_DIR}
status=0
if [ ! -s "$dir/bodies" ]; then
	echo "no response was examined: nothing to check"
	exit 0
fi
if [ ! -s "$dir/server.log" ]; then
	echo "FAIL: responses were examined but no server log was kept in $dir" >&2
	exit 1
fi
touch "$dir/secrets"

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
cut -f2- "$dir/secrets" | sort -u >"$patterns"
passwords=$(grep -c '^password' "$dir/secrets" || true)
tokens=$(grep -c '^token' "$dir/secrets" || true)
echo "secrets used: $(wc -l <"$patterns") distinct ($passwords passwords and $tokens tokens sent or received)"
echo "server log: $(wc -l <"$dir/server.log") lines, $(grep -c '"msg":"request"' "$dir/server.log" || true) of them requests"
if grep -F -n -f "$patterns" "$dir/server.log" >"$patterns.found" 2>/dev/null; then
	echo "FAIL: secrets in the server log ($(wc -l <"$patterns.found") lines), the first:" >&2
	head -n 5 "$patterns.found" >&2
	status=1
fi
rm -f "$patterns.found"

echo "response bodies examined: $(stat -c %s "$dir/bodies")"
if [ -s "$dir/leaks" ]; then
	echo "FAIL: response bodies showing the server's insides ($(wc -l <"$dir/leaks")), the first:" >&2
	head -n 10 "$dir/leaks" >&2
	status=1
fi
[ $status -eq 0 ] && echo "no secret logged, no internals shown"
exit $status
