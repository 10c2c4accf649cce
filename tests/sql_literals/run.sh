#!/usr/bin/env bash
# The test command's "SQL only from literals" check (tools/check_sql_literals.py):
# the server's sources must pass it, and the check must report exactly the
# lines of fixture.c marked REPORTED (so it is known to catch what it claims).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check="$root/tools/check_sql_literals.py"
python3 "$check" "$root/marketplace"

fixture_dir=$(mktemp -d)
trap 'rm -rf "$fixture_dir"' EXIT
cp "$root/tests/sql_literals/fixture.c" "$fixture_dir/"
if python3 "$check" "$fixture_dir" >/dev/null 2>"$fixture_dir/report"; then
	echo "FAIL: the check passed fixture.c, which builds SQL at run time" >&2
	exit 1
fi
expected=$(grep -n 'REPORTED \*/' "$fixture_dir/fixture.c" | cut -d: -f1 | sort -n | uniq)
reported=$(sed -n 's/^[^:]*fixture\.c:\([0-9]*\):.*/\1/p' "$fixture_dir/report" | sort -n | uniq)
if [ "$expected" != "$reported" ]; then
	echo "FAIL: on fixture.c the check reported lines" $reported "but should report" $expected >&2
	cat "$fixture_dir/report" >&2
	exit 1
fi
echo "the check reports each of the $(echo "$expected" | wc -l) refused forms in fixture.c, and nothing else"
