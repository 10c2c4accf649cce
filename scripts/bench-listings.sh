#!/usr/bin/env bash
# The exchange's read paths under load, on N seeded listings (release
# build, its own PostgreSQL and server): a listing by id (random ids), a
# search with q and two filters, the third page of a filtered list, and
# the matches of a listing (random ids) and the plan's indicators, each
# with wrk -t2 -c64 after a warm-up; then the search (by relevance and by
# newest), the matches, the indicators and a one-year summary report alone
# from one connection (their own latency, without queueing behind 63
# others).  DEALS deals (default a tenth of LISTINGS) are seeded too, for
# the indicators and the report to count.  Each: the median of RUNS runs
# of requests/second, p50, p95 and p99 latency, and errors.
#   scripts/bench-listings.sh              (LISTINGS=100000 DEALS=10000 RUNS=3 DURATION=10)
#   LISTINGS=1000000 scripts/bench-listings.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"

LISTINGS=${LISTINGS:-100000}
DEALS=${DEALS:-$((LISTINGS / 10))}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${BENCH_PORT:-18081}
PG_PORT=${BENCH_PG_PORT:-55435}

install_packages "${BUILD_PACKAGES[@]}" wrk postgresql-contrib jq
build "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DMARKETPLACE_BUILD_TESTS=OFF >/dev/null

# One cluster per size, kept for the next run: seeding a million takes minutes.
data=$(pg_data_dir "bench-listings-$LISTINGS-pg")
url=$(pg_start "$data" "$PG_PORT")
server=
work=$(mktemp -d)
cleanup() {
	[ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
	pg_stop "$data"
	rm -rf "$work"
}
trap cleanup EXIT

have=$(as_pg_user "$(pg_bindir)/psql" "$url" -XAtc "SELECT count(*) FROM listings" 2>/dev/null || echo 0)
if [ "$have" -lt "$LISTINGS" ]; then
	echo "==> seeding $((LISTINGS - have)) listings (the cluster in $data keeps them for the next run)"
	time MARKETPLACE_DATABASE_URL=$url "$ROOT/build/marketplace" seed-demo --listings "$((LISTINGS - have))"
	as_pg_user "$(pg_bindir)/psql" "$url" -Xqc "VACUUM ANALYZE listings"
fi
# Picks that would open a second open deal are skipped: a run tops up what the last one missed.
have=$(as_pg_user "$(pg_bindir)/psql" "$url" -XAtc "SELECT count(*) FROM deals" 2>/dev/null || echo 0)
if [ "$have" -lt "$DEALS" ]; then
	echo "==> seeding about $((DEALS - have)) deals"
	MARKETPLACE_DATABASE_URL=$url "$ROOT/build/marketplace" seed-demo --listings 0 --deals "$((DEALS - have))"
fi
as_pg_user "$(pg_bindir)/psql" "$url" -XAtc \
	"SELECT id FROM listings WHERE status = 'published' ORDER BY random() LIMIT 10000" >"$work/ids"
# The report is for administrators: one for the benchmark (an existing one keeps its password).
printf 'bench-admin-2026\n' | MARKETPLACE_DATABASE_URL=$url "$ROOT/build/marketplace" \
	create-admin bench-admin@sokhcn.demo.vn >/dev/null 2>&1 || true

MARKETPLACE_DATABASE_URL=$url MARKETPLACE_LISTEN=127.0.0.1:$PORT MARKETPLACE_LOG=warn \
	"$ROOT/build/marketplace" serve &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$PORT/api/v1/listings"
search="$base?q=s%E1%BA%A5y&kind=technology_offer&province=quang-tri"
list="$base?kind=equipment_offer&sector=2&limit=20"
cursor=$(curl -fs "$list" | jq -r .next_cursor)
cursor=$(curl -fs "$list&cursor=$cursor" | jq -r .next_cursor)
third="$list&cursor=$cursor"
echo "search: $(curl -fs "$search&limit=100" | jq '.items | length') items on its first page of 100"
api="http://127.0.0.1:$PORT/api/v1"
token=$(curl -fs -H 'Content-Type: application/json' -d \
	'{"email":"bench-admin@sokhcn.demo.vn","password":"bench-admin-2026"}' "$api/auth/login" | jq -r .token)
year=$(($(date +%Y) - 1))
report="$api/reports/summary?from=$year-01-01&to=$year-12-31"
echo "deals: $(curl -fs -H "Authorization: Bearer $token" "$report" | jq .deals.total) created in $year"

run() { # name connections url [ids [path suffix]]; AUTH=token for a signed-in request
	local threads=$(($2 < 2 ? 1 : 2)) header=()
	export BENCH_IDS=${4:-} BENCH_SUFFIX=${5:-}
	[ -n "${AUTH:-}" ] && header=(-H "Authorization: Bearer $AUTH")
	wrk -t$threads -c"$2" -d2s "${header[@]}" -s "$ROOT/scripts/bench/latency.lua" "$3" >/dev/null
	wrk -t$threads "${header[@]}" -c"$2" -d"${DURATION}s" -s "$ROOT/scripts/bench/latency.lua" "$3" |
		awk -v name="$1" '/^RESULT/ {print name, $2, $3, $4, $5, $6}'
}
for _ in $(seq "$RUNS"); do
	run by_id "$CONNECTIONS" "$base" "$work/ids"
	run search "$CONNECTIONS" "$search"
	run third_page "$CONNECTIONS" "$third"
	run matches "$CONNECTIONS" "$base" "$work/ids" /matches
	run search_c1 1 "$search"
	run newest_c1 1 "$search&sort=newest"
	run matches_c1 1 "$base" "$work/ids" /matches
	run indicators "$CONNECTIONS" "$api/indicators"
	run indicators_c1 1 "$api/indicators"
	AUTH=$token run report_c1 1 "$report"
done >"$work/results"

echo "$LISTINGS listings, $(as_pg_user "$(pg_bindir)/psql" "$url" -XAtc "SELECT count(*) FROM deals") deals; wrk -t2 -c$CONNECTIONS (*_c1: one connection), ${DURATION}s after a 2 s warm-up;"
echo "median of $RUNS runs"
printf '%-12s %10s %9s %9s %9s %7s\n' scenario "req/s" "p50 ms" "p95 ms" "p99 ms" errors
for name in by_id search third_page matches search_c1 newest_c1 matches_c1 indicators indicators_c1 report_c1; do
	awk -v n="$name" '$1 == n' "$work/results" | sort -k2 -n | awk -v n="$name" \
		'{r[NR]=$0} END {split(r[int((NR+1)/2)], f, " "); printf "%-12s %10s %9s %9s %9s %7s\n", n, f[2], f[3], f[4], f[5], f[6]}'
done
