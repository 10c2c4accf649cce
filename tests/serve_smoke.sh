#!/usr/bin/env bash
# The README's first command, tested as a user runs it: scripts/serve.sh from
# a fresh copy of this checkout (tracked and untracked-not-ignored files; no
# build directories, no .local), on spare ports.  It must build, start its
# own PostgreSQL, load the demo data (demo.sql and seed-demo) and serve; the
# demo account must log in and see its organisation and the verified ones,
# and anyone must find the demo listings by a search with or without
# diacritics; the web front end must be served at / (built by serve.sh);
# SIGTERM to serve.sh must
# stop the server and the cluster.  The copy and the cluster's data are
# removed afterwards, whatever the result.
#   tests/serve_smoke.sh          (scripts/test.sh runs it after ctest)
# SMOKE_TIMEOUT (300 s) bounds the wait for /readyz, which includes a release
# build; SMOKE_LISTEN_PORT and SMOKE_PG_PORT choose the ports (default: free ones).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
TIMEOUT=${SMOKE_TIMEOUT:-300}
DEMO_EMAIL=lan.nguyen@vien.demo.vn
DEMO_PASSWORD=mat-khau-demo-2026

say() { echo "==> serve smoke: $*"; }
fail() {
	echo "==> serve smoke: FAILED: $*" >&2
	if [ -s "${log:-}" ]; then
		echo "---- last lines of serve.sh's output ($log) ----" >&2
		tail -n 40 "$log" >&2
		echo "----" >&2
	fi
	exit 1
}

# Alive and not a zombie (PID 1 of a container may never reap what it inherits).
alive() {
	local stat
	[ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# Waits up to $2 seconds for process $1 to end.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# The child of $1 named $2 (no pgrep: procps is not in every image).
child_named() {
	local s line comm rest
	for s in /proc/[0-9]*/stat; do
		line=$(cat "$s" 2>/dev/null) || continue
		comm=${line#*(}
		comm=${comm%)*}
		rest=${line##*) }
		read -r _ ppid _ <<<"$rest"
		if [ "$ppid" = "$1" ] && [ "$comm" = "$2" ]; then
			echo "${line%% *}"
			return 0
		fi
	done
	return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/marketplace-smoke.XXXXXX")
copy=$work/checkout
log=$work/serve.log
serve=
server=
data=
var_dir=

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if alive "$serve"; then
		kill -TERM "$serve" 2>/dev/null || true
		wait_gone "$serve" 30 || kill -KILL "$serve" 2>/dev/null || true
	fi
	alive "$server" && kill -KILL "$server" 2>/dev/null
	if [ -n "$data" ] && [ -s "$data/postmaster.pid" ]; then
		"$ROOT/scripts/pg.sh" stop "$data" || true
	fi
	rm -rf "$work"
	[ -n "$var_dir" ] && rm -rf "$var_dir"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SECONDS=0
say "copying the checkout into $copy"
mkdir "$copy"
if git -C "$ROOT" -c safe.directory='*' rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files deleted in the work tree are still listed: skip them.
	git -C "$ROOT" -c safe.directory='*' ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do
			if [ -e "$ROOT/$f" ] || [ -L "$ROOT/$f" ]; then printf '%s\0' "$f"; fi
		done |
		tar -C "$ROOT" --null -T - -cf - | tar -C "$copy" -xf -
else
	tar -C "$ROOT" --exclude='./build*' --exclude=./.local --exclude=node_modules -cf - . | tar -C "$copy" -xf -
fi
[ -x "$copy/scripts/serve.sh" ] || fail "the copy has no executable scripts/serve.sh"
if [ -e "$copy/build" ] || [ -e "$copy/.local" ]; then fail "the copy took build/ or .local/ along"; fi

# Where serve.sh will put the cluster: in the copy, or in /var/tmp when the
# postgres user cannot enter it (as root under a mktemp directory).
data=$(bash -c '. "$1/scripts/common.sh" && pg_data_dir pg' _ "$copy")
case $data in
"$copy"/*) ;;
/var/tmp/marketplace-*/pg)
	var_dir=$(dirname "$data")
	[ ! -e "$var_dir" ] || fail "$var_dir already exists; it would be this test's to remove"
	;;
*) fail "unexpected data directory $data" ;;
esac

listen_port=${SMOKE_LISTEN_PORT:-$(free_port)}
pg_port=${SMOKE_PG_PORT:-$(free_port)}
base=http://127.0.0.1:$listen_port
say "starting scripts/serve.sh (listen $listen_port, PostgreSQL port $pg_port, data $data)"
env -u MARKETPLACE_DATABASE_URL -u MARKETPLACE_DATABASE_READ_URL \
	MARKETPLACE_LISTEN="127.0.0.1:$listen_port" MARKETPLACE_PG_PORT="$pg_port" \
	"$copy/scripts/serve.sh" </dev/null >"$log" 2>&1 &
serve=$!

say "waiting up to ${TIMEOUT}s for $base/readyz (serve.sh builds a release binary first)"
code=
while :; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/readyz" || true)
	[ "$code" = 200 ] && break
	alive "$serve" || fail "serve.sh exited before /readyz answered 200"
	[ "$SECONDS" -lt "$TIMEOUT" ] || fail "/readyz did not answer 200 within ${TIMEOUT}s (last: ${code:-none})"
	sleep 1
done
ready_after=$SECONDS
say "ready after ${ready_after}s"
grep -qF "local PostgreSQL in $data" "$log" || fail "serve.sh did not use the expected data directory $data"
server=$(child_named "$serve" marketplace) || fail "no marketplace process under serve.sh"
[ -s "$data/postmaster.pid" ] || fail "no postmaster.pid in $data"
postmaster=$(head -n 1 "$data/postmaster.pid")
alive "$postmaster" || fail "the postmaster of $data ($postmaster) is not running"

# GET/POST helper: writes the body to $work/$1.json, prints the status.
request() {
	local name=$1
	shift
	curl -s -o "$work/$name.json" -w '%{http_code}' --max-time 30 "$@" || true
}
# Checks a JSON file with a Python expression over d; $3 says what is expected.
check_json() {
	python3 - "$1" "$2" <<'EOF' || fail "$3 (got: $(head -c 600 "$1"))"
import json, sys
with open(sys.argv[1], 'rb') as f:
    d = json.loads(f.read())
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

say "logging in as $DEMO_EMAIL"
code=$(request login -X POST -H 'Content-Type: application/json' \
	--data "{\"email\":\"$DEMO_EMAIL\",\"password\":\"$DEMO_PASSWORD\"}" "$base/api/v1/auth/login")
[ "$code" = 200 ] || fail "POST /api/v1/auth/login answered $code: $(cat "$work/login.json")"
check_json "$work/login.json" 'isinstance(d.get("token"), str) and len(d["token"]) >= 32' "login gave no token"
token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1], "rb"))["token"])' "$work/login.json")

# The demo data of scripts/demo.sql: her institute, and the two verified
# organisations (the startup waits for verification, so is not listed);
# seed-demo adds verified organisations of its own.
institute='"00000000-0000-4000-8000-0000000000a1", "Vi\u1ec7n N\u00f4ng nghi\u1ec7p B\u1eafc Trung B\u1ed9 (demo)"'
company='"00000000-0000-4000-8000-0000000000a2", "C\u00f4ng ty TNHH C\u01a1 kh\u00ed \u0110\u00f4ng H\u00e0 (demo)"'

say "GET /api/v1/me"
code=$(request me -H "Authorization: Bearer $token" "$base/api/v1/me")
[ "$code" = 200 ] || fail "GET /api/v1/me answered $code"
check_json "$work/me.json" "d['user']['email'] == '$DEMO_EMAIL' and (d['organization']['id'], d['organization']['name']) == ($institute) and d['organization']['verified'] is True" \
	"/api/v1/me does not name $DEMO_EMAIL and the demo institute"

# Unverified: the demo startup, and seed-demo's research group.
unverified='"00000000-0000-4000-8000-0000000000a3", "5eed0000-0000-4000-8000-00000000000e"'

say "GET /api/v1/organizations"
code=$(request orgs -H "Authorization: Bearer $token" "$base/api/v1/organizations?limit=100")
[ "$code" = 200 ] || fail "GET /api/v1/organizations answered $code"
check_json "$work/orgs.json" "{($institute), ($company)} <= {(o['id'], o['name']) for o in d['items']} and not {o['id'] for o in d['items']} & {$unverified} and len(d['items']) >= 10" \
	"/api/v1/organizations does not list the demo's verified organisations (demo.sql's two and seed-demo's), or lists an unverified one"

# The listings of demo.sql and seed-demo, found with and without
# diacritics.  (Needs the listings routes of issue 8: until they are
# merged, this part fails with 404.)
for q in 'cong%20nghe%20say' 'c%C3%B4ng%20ngh%E1%BB%87%20s%E1%BA%A5y'; do
	say "GET /api/v1/listings?q=$q"
	code=$(request listings "$base/api/v1/listings?q=$q")
	[ "$code" = 200 ] || fail "GET /api/v1/listings?q=$q answered $code: $(head -c 300 "$work/listings.json")"
	check_json "$work/listings.json" "len(d['items']) >= 1 and all(i['status'] == 'published' for i in d['items'])" \
		"GET /api/v1/listings?q=$q found no published listing"
done

# The web front end that serve.sh built: the app's page at / and at a deep
# link, and the script it names, served from the copy's web/dist.
for path in / /listings/QT-TD-2026-000001; do
	say "GET $path (the web front end)"
	code=$(curl -s -o "$work/page.html" -w '%{http_code}' --max-time 10 "$base$path" || true)
	[ "$code" = 200 ] || fail "GET $path answered $code"
	grep -q '<div id="app">' "$work/page.html" || fail "GET $path did not serve the app's index.html"
done
script=$(grep -o '/assets/index-[A-Za-z0-9_-]*\.js' "$work/page.html" | head -n 1)
[ -n "$script" ] || fail "index.html names no /assets/index-*.js"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base$script" || true)
[ "$code" = 200 ] || fail "GET $script answered $code"

say "stopping serve.sh with SIGTERM"
kill -TERM "$serve"
wait_gone "$serve" 60 || fail "serve.sh still running 60 s after SIGTERM"
wait "$serve" 2>/dev/null || true
serve=
alive "$server" && fail "the server ($server) outlived serve.sh"
alive "$postmaster" && fail "the cluster's postmaster ($postmaster) outlived serve.sh"
[ ! -e "$data/postmaster.pid" ] || fail "$data/postmaster.pid is still there"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/healthz" || true)
[ "$code" = 000 ] || fail "port $listen_port still answers ($code) after serve.sh stopped"
server=
say "server and cluster stopped"

trap - EXIT INT TERM
rm -rf "$work"
[ -n "$var_dir" ] && rm -rf "$var_dir"
if [ -e "$work" ] || { [ -n "$var_dir" ] && [ -e "$var_dir" ]; }; then fail "could not remove $work or $var_dir"; fi
say "passed in ${SECONDS}s (${ready_after}s to build and start); $work${var_dir:+ and $var_dir} removed"
