#!/usr/bin/env bash
# pg.sh start DATADIR PORT   create (if needed) and start a cluster; prints its URL
# pg.sh stop DATADIR [MODE]  stop it; MODE is a pg_ctl shutdown mode, fast by default
#                            (immediate: every process killed at once, as in a crash)
# The tests use these to stop and restart the database under a running server.
set -euo pipefail
. "$(dirname "$0")/common.sh"
case "${1:-}" in
start) pg_start "$2" "$3" ;;
stop) pg_stop "$2" "${3:-}" ;;
*) echo "usage: $0 start DATADIR PORT | stop DATADIR [fast|immediate]" >&2; exit 2 ;;
esac
