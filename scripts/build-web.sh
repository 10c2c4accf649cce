#!/usr/bin/env bash
# Builds the web front end (web/, Vite + Preact) into web/dist/, which
# `marketplace serve` loads at start: installs Node.js and npm from Debian
# when missing, installs the locked packages (npm ci, only when
# package-lock.json changed since the last install), builds, and writes a
# gzip copy beside each text file so the server can send it compressed
# without compressing anything itself.  The C build never needs this.
set -euo pipefail
. "$(dirname "$0")/common.sh"

web="$ROOT/web"
npm_ci "$web"
echo "==> building the web front end into web/dist"
(cd "$web" && npx --no-install vite build --logLevel warn)
find "$web/dist" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) \
	-exec gzip -9 -n -k -f {} +
