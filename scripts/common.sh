# Shared by the README's commands: package installation, builds and a
# project-local PostgreSQL cluster run by an unprivileged user.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages in "$@" that are not installed yet.
install_packages() {
	local missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

BUILD_PACKAGES=(build-essential cmake pkg-config openssl libevent-dev libpq-dev libjansson-dev
	libssl-dev check python3 python3-yaml postgresql postgresql-contrib curl ca-certificates)
# tests/fuzz/run.sh: clang, and libFuzzer with the sanitizer runtimes (only
# recommended by clang, so named here).
FUZZ_PACKAGES=(clang libclang-rt-dev)

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# npm_ci DIR: installs DIR's locked npm packages, only when its
# package-lock.json changed since the last install (npm ci starts afresh).
npm_ci() {
	local dir=$1
	command -v npm >/dev/null || install_packages nodejs npm
	if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		echo "==> installing the npm packages of ${dir#"$ROOT"/} (npm ci)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}

# build DIR [cmake options...]
build() {
	local dir=$1
	shift
	cmake -S "$ROOT" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)"
}

pg_bindir() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# PostgreSQL refuses to run as root: as root the cluster belongs to "postgres".
pg_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# From / : the postgres user may not be allowed into the current directory.
as_pg_user() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The cluster's two roles: the owner of database "marketplace", who applies
# the migrations, and the login role the server serves as (a member of
# marketplace_serving, which migrations/0006_serving_role.sql grants what
# the server needs; scripts/roles.sql).
PG_OWNER=marketplace
PG_SERVE_ROLE=marketplace_app

# pg_url DATADIR PORT ROLE: the URL of database "marketplace" as ROLE.
pg_url() {
	echo "postgresql:///marketplace?host=$(realpath -m "$1")/run&port=$2&user=$3"
}

# pg_start DATADIR PORT: creates the cluster when needed (database and owner
# "marketplace"), starts it with its socket in DATADIR/run, makes sure the
# serving role exists, and prints the owner's URL (pg_url gives the other).
pg_start() {
	local data port=$2 bin
	data=$(realpath -m "$1")
	bin=$(pg_bindir)
	[ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
	if [ ! -s "$data/PG_VERSION" ]; then
		mkdir -p "$data"
		[ "$(id -u)" -eq 0 ] && chown "$(pg_user)" "$data"
		chmod 700 "$data"
		as_pg_user "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
			--auth=trust >/dev/null
	fi
	as_pg_user mkdir -p "$data/run"
	as_pg_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
		-o "-p $port -k $data/run -c listen_addresses='' -c max_connections=200" start >/dev/null
	local psql=("$bin/psql" -h "$data/run" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1)
	if ! as_pg_user "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_OWNER'" | grep -q 1; then
		as_pg_user "${psql[@]}" -c "CREATE ROLE $PG_OWNER LOGIN CREATEDB"
		as_pg_user "${psql[@]}" -c "CREATE DATABASE marketplace OWNER $PG_OWNER"
	fi
	# Every start, so that a cluster made before the serving role gets it.
	# On stdin: the checkout may be closed to the postgres user.
	as_pg_user "${psql[@]}" -v serve_role="$PG_SERVE_ROLE" <"$ROOT/scripts/roles.sql"
	# The owner may watch and stop the server's sessions, as the tests do.
	as_pg_user "${psql[@]}" -c "SET client_min_messages = warning" \
		-c "GRANT pg_read_all_stats, pg_signal_backend TO $PG_OWNER"
	pg_url "$data" "$port" "$PG_OWNER"
}

# pg_stop DATADIR [MODE]: pg_ctl's shutdown mode, fast unless given.
pg_stop() {
	local data mode=${2:-fast}
	data=$(realpath -m "$1")
	[ -s "$data/postmaster.pid" ] || return 0
	as_pg_user "$(pg_bindir)/pg_ctl" -D "$data" -m "$mode" -w stop >/dev/null || true
}

# A data directory the cluster's user can reach: under the project when the
# path is open to it, else in /var/tmp (a clone under /root is not).
pg_data_dir() {
	local name=$1
	if as_pg_user test -x "$ROOT" 2>/dev/null && as_pg_user test -r "$ROOT" 2>/dev/null; then
		echo "$ROOT/.local/$name"
	else
		echo "/var/tmp/marketplace-$(echo "$ROOT" | md5sum | cut -c1-8)/$name"
	fi
}
