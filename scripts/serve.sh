#!/usr/bin/env bash
# The README's first command: install, build the server and the web front
# end, start a local PostgreSQL unless
# MARKETPLACE_DATABASE_URL is set, migrate, load the demo data (demo.sql, then
# `marketplace seed-demo --listings 300` the first time) and serve in the
# foreground.  The local cluster has two roles: its owner migrates and loads the demo data,
# and the server serves as marketplace_app, which may not change audit_log
# or the schema (migrations/0006_serving_role.sql).
set -euo pipefail
. "$(dirname "$0")/common.sh"

install_packages "${BUILD_PACKAGES[@]}"
build "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DMARKETPLACE_BUILD_TESTS=OFF
# The pages at / (web/dist, which the server finds beside the checkout).
"$ROOT/scripts/build-web.sh"

if [ -z "${MARKETPLACE_DATABASE_URL:-}" ]; then
	data=$(pg_data_dir pg)
	port=${MARKETPLACE_PG_PORT:-55432}
	MARKETPLACE_MIGRATE_DATABASE_URL=$(pg_start "$data" "$port")
	MARKETPLACE_DATABASE_URL=$(pg_url "$data" "$port" "$PG_SERVE_ROLE")
	export MARKETPLACE_MIGRATE_DATABASE_URL MARKETPLACE_DATABASE_URL
	trap 'pg_stop "$data"' EXIT
	echo "==> local PostgreSQL in $data (migrations as $PG_OWNER, serving as $PG_SERVE_ROLE)"
	"$ROOT/build/marketplace" migrate
	# On stdin: the checkout may be closed to the postgres user.
	as_pg_user "$(pg_bindir)/psql" "$MARKETPLACE_MIGRATE_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 <"$ROOT/scripts/demo.sql"
	# A living exchange: generated listings of other demo organisations in
	# every state, once (seed-demo adds more on every run).
	seeded=$(as_pg_user "$(pg_bindir)/psql" "$MARKETPLACE_MIGRATE_DATABASE_URL" -X -q -tA \
		-c "SELECT count(*) FROM organizations WHERE id = '5eed0000-0000-4000-8000-000000000001'")
	if [ "$seeded" = 0 ]; then
		MARKETPLACE_LOG=warn "$ROOT/build/marketplace" seed-demo --listings 300
	fi
	echo "==> demo accounts (password mat-khau-demo-2026): admin@sokhcn.demo.vn (administrator),"
	echo "    lan.nguyen@vien.demo.vn, minh.tran@cokhi.demo.vn, hoa.le@cattrang.demo.vn; each organisation"
	echo "    has listings in several states, and seed-demo's organisations a few hundred more"
fi
echo "==> serving on http://${MARKETPLACE_LISTEN:-127.0.0.1:8080} (Ctrl-C stops)"
# Not exec: the trap stops the local cluster when the server exits.
"$ROOT/build/marketplace" serve "$@" &
server=$!
trap 'kill -TERM $server 2>/dev/null' INT TERM
wait $server || true
wait $server 2>/dev/null || true
