#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_<target>.c) into build-fuzz
# with clang, ASan and UBSan, and runs each for SECONDS, in-process (no
# -fork or -jobs), on a copy of its seed corpus (corpus/<target>/, copied
# to a temporary directory so that runs never grow the repository) with its
# dictionary (<target>.dict) when there is one.  The targets run side by
# side, as many at once as there are cores (nproc, or FUZZ_PARALLEL), each
# into a log of its own; once all are done, each target's executions and
# coverage are printed in the order given, with the end of its log when it
# found something.  Exits 1 when any target found something (a crash, a
# sanitizer report, a failed property, a leak or a hang): the input is kept
# in build-fuzz/findings/<target>/ with the log; 2 on a usage error.
#   tests/fuzz/run.sh 15               every target (scripts/test.sh runs this)
#   tests/fuzz/run.sh 600 body query   the targets named
set -euo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

seconds=${1:-}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: $0 SECONDS [TARGET...]" >&2
	exit 2
fi
shift
fuzz_dir="$ROOT/tests/fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for src in "$fuzz_dir"/fuzz_*.c; do
		name=$(basename "$src" .c)
		targets+=("${name#fuzz_}")
	done
fi
for t in "${targets[@]}"; do
	if [ ! -f "$fuzz_dir/fuzz_$t.c" ]; then
		echo "$0: no fuzz target '$t' (tests/fuzz/fuzz_$t.c)" >&2
		exit 2
	fi
done

echo "==> building the fuzz targets in build-fuzz (clang, libFuzzer, ASan + UBSan)"
build "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DMARKETPLACE_FUZZ=ON -DMARKETPLACE_BUILD_TESTS=OFF

work=$(mktemp -d /tmp/marketplace-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run_one TARGET: one target's run into $work/TARGET.log, and its outcome
# (0: nothing found, 1: a finding) into $work/TARGET.status.
run_one() {
	local t=$1 corpus="$work/$1" findings="$ROOT/build-fuzz/findings/$1" rc=0
	mkdir -p "$corpus" "$findings"
	if [ -d "$fuzz_dir/corpus/$t" ]; then
		cp "$fuzz_dir/corpus/$t"/. "$corpus"/ -R
	fi
	local options=(-max_total_time="$seconds" -timeout=25 -max_len=8192 -print_final_stats=1
		-artifact_prefix="$findings/")
	[ -f "$fuzz_dir/$t.dict" ] && options+=(-dict="$fuzz_dir/$t.dict")
	"$ROOT/build-fuzz/tests/fuzz/fuzz_$t" "${options[@]}" "$corpus" >"$work/$t.log" 2>&1 || rc=1
	[ $rc -eq 0 ] || cp "$work/$t.log" "$findings/"
	echo $rc >"$work/$t.status"
}

parallel=${FUZZ_PARALLEL:-$(nproc)}
for t in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
		wait -n || true
	done
	echo "==> fuzz_$t for $seconds s"
	run_one "$t" &
done
wait

status=0
for t in "${targets[@]}"; do
	log="$work/$t.log"
	if [ "$(cat "$work/$t.status" 2>/dev/null)" = 0 ]; then
		result="no finding"
	else
		result="FINDING (input and log in build-fuzz/findings/$t/)"
		status=1
		grep -v -E '^#[0-9]+' "$log" | tail -n 40
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/SIZE ..."
	# (none when a seed failed before the first one).
	reached=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 |
		awk '{print "cov " $2 ", ft " $4 ", corpus " $6}' || true)
	echo "==> fuzz_$t: ${execs:-unknown} executions, ${reached:-coverage unknown}, $result"
done
exit $status
