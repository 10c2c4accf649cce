#!/usr/bin/env bash
# Throughput of the server beside pgbench on the same rows, measured in one
# run so the ratios hold on a shared machine (median of RUNS runs); then
# logins per second with 8 concurrent clients (under the 10 attempts an address may have in flight), and /healthz latency while
# those logins are being hashed.
#   scripts/bench.sh            (RUNS=3 DURATION=10 THREADS=2 POOL=8 by default)
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
POOL=${POOL:-8}
PORT=${BENCH_PORT:-18080}

install_packages "${BUILD_PACKAGES[@]}" wrk postgresql-contrib
build "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DMARKETPLACE_BUILD_TESTS=OFF >/dev/null

data=$(pg_data_dir bench-pg)
url=$(pg_start "$data" "${BENCH_PG_PORT:-55434}")
server=
cleanup() {
	[ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
	pg_stop "$data"
}
trap cleanup EXIT

MARKETPLACE_DATABASE_URL=$url MARKETPLACE_LISTEN=127.0.0.1:$PORT MARKETPLACE_THREADS=$THREADS \
	MARKETPLACE_DB_POOL=$POOL MARKETPLACE_LOG=warn "$ROOT/build/marketplace" serve &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wrk_rps() { wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT$1" | awk '/Requests\/sec/ {print $2}'; }
pgbench_tps() {
	as_pg_user "$(pg_bindir)/pgbench" -n -M prepared -c "$1" -j 2 -T "$DURATION" \
		-h "$data/run" -p "${BENCH_PG_PORT:-55434}" -U marketplace -f "$ROOT/scripts/bench/sectors.sql" marketplace \
		| awk '/^tps/ {print $3}'
}

declare -A results
for run in $(seq "$RUNS"); do
	results[healthz]+="$(wrk_rps /healthz) "
	results[sectors]+="$(wrk_rps /api/v1/sectors) "
	results[pgbench_c4]+="$(pgbench_tps 4) "
	results[pgbench_c16]+="$(pgbench_tps 16) "
done

printf '%-28s %12s   %s\n' "measure ($RUNS runs, ${DURATION}s)" "median/s" "runs"
for k in healthz sectors pgbench_c4 pgbench_c16; do
	m=$(echo "${results[$k]}" | tr ' ' '\n' | grep . | median)
	printf '%-28s %12.0f   %s\n' "$k" "$m" "${results[$k]}"
	declare "med_$k=$m"
done
awk -v s="$med_sectors" -v h="$med_healthz" -v p4="$med_pgbench_c4" -v p16="$med_pgbench_c16" 'BEGIN {
	printf "sectors / healthz      %.2f\n", s / h
	printf "sectors / pgbench -c4  %.2f\n", s / p4
	printf "sectors / pgbench -c16 %.2f\n", s / p16 }'

echo
echo "logins: wrk -t2 -c8 for ${DURATION}s over 16 accounts, with /healthz probed by wrk -t1 -c1 meanwhile"
for i in $(seq 16); do
	curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/auth/register" -H 'Content-Type: application/json' \
		-d "{\"email\":\"bench$i@bench.quangtri.vn\",\"password\":\"mat-khau-do-tai-2026\",\"display_name\":\"Đo tải $i\",\"organization\":{\"name\":\"Doanh nghiệp đo tải $i\",\"kind\":\"enterprise\",\"province\":\"quang-tri\"}}"
done
wrk -t2 -c8 -d"${DURATION}s" -s "$ROOT/scripts/bench/login.lua" "http://127.0.0.1:$PORT" >/tmp/bench-login.$$ &
login=$!
sleep 1
wrk -t1 -c1 -d"$((DURATION - 2))s" --latency "http://127.0.0.1:$PORT/healthz" | awk '/Latency/ && !done {print "healthz latency during logins (avg, stdev, max):", $2, $3, $4; done=1} /^ +(50|90|99)%/ {print "healthz latency p" $1, $2}'
wait $login
awk '/Requests\/sec/ {print "logins/s:", $2} /Non-2xx/ {print "non-2xx logins:", $4}' /tmp/bench-login.$$
rm -f /tmp/bench-login.$$
