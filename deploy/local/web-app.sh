#!/usr/bin/env bash
# The browser app (web/): its unit tests (Vitest), its production build (sizes printed), and
# its end-to-end test in Debian's Chromium (web/e2e/app.e2e.mjs, driven by playwright-core)
# against the release binary serving that build at /app/, on PostgreSQL, with the job worker
# as its own process (FOLIO_WORKER=off plus `folio worker`), as deployed.
#
#   deploy/local/web-app.sh          APP_BIN (default target/release/folio)
#
# Installs what it lacks: Debian's chromium (as root), and the app's npm packages with
# `npm ci` (versions from web/package-lock.json). Screenshots land in target/app-screenshots/.
# PostgreSQL: a database of its own on $APP_PG (default postgres://postgres@127.0.0.1:5432),
# dropped at the end.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
web="$root/web"
APP_BIN=${APP_BIN:-$root/target/release/folio}
APP_PG=${APP_PG:-postgres://postgres@127.0.0.1:5432}
APP_CHROMIUM=${APP_CHROMIUM:-/usr/bin/chromium}
shots="$root/target/app-screenshots"
run="$root/target/app-e2e"
database="folio_app_e2e_$$"

say() { printf '== %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$APP_PG/postgres" -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
}
trap cleanup EXIT

install_tools() {
  command -v node >/dev/null || die "Node.js is missing (Debian's nodejs and npm packages, 20.19 or newer)"
  if [[ ! -x $APP_CHROMIUM ]]; then
    [[ $(id -u) -eq 0 ]] || die "$APP_CHROMIUM is missing; install Debian's chromium package (as root)"
    say "installing Chromium from Debian (apt-get install chromium)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  # npm ci installs exactly the lock file's versions; skipped when that lock file was installed.
  local stamp="$web/node_modules/.installed-from-package-lock.json"
  if ! cmp -s "$web/package-lock.json" "$stamp"; then
    say "npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$web/package-lock.json" "$stamp"
  fi
}

unit_tests_and_build() {
  # Plain text in logs (Vitest and Vite colour their output otherwise).
  say "Vitest (npm test)"
  (cd "$web" && NO_COLOR=1 npm test -- --reporter=verbose)
  say "type check and production build (npm run build)"
  (cd "$web" && NO_COLOR=1 npm run build)
  say "bundle sizes (what a browser downloads, gzip -9)"
  local file total=0 size
  for file in "$web"/dist/index.html "$web"/dist/assets/*; do
    size=$(gzip -9 -c "$file" | wc -c)
    total=$((total + size))
    printf '  %-40s %8s bytes, gzip %7s bytes\n' "${file#"$web"/}" "$(wc -c <"$file")" "$size"
  done
  printf '  %-40s %31s bytes\n' "total, gzip" "$total"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve() {
  [[ -x $APP_BIN ]] || die "$APP_BIN is missing: cargo build --release --locked --features aws -p folio"
  rm -rf "$run" && mkdir -p "$run"
  psql -q "$APP_PG/postgres" -c "CREATE DATABASE $database" >/dev/null
  local port
  port=$(free_port)
  export FOLIO_LISTEN="127.0.0.1:$port" FOLIO_BASE_URL="http://127.0.0.1:$port"
  export FOLIO_DATABASE_URL="$APP_PG/$database" FOLIO_WEB_DIST="$web/dist"
  export FOLIO_EMAIL_URL="file://$run/mail" FOLIO_STORAGE_URL="file://$run/media"
  export FOLIO_WORKER=off FOLIO_LOG_FORMAT=json FOLIO_LOG=warn
  export FOLIO_SECRET_KEY
  FOLIO_SECRET_KEY=$(openssl rand -hex 64)
  "$APP_BIN" migrate >"$run/migrate.log" 2>&1 || die "folio migrate failed: $(tail -5 "$run/migrate.log")"
  "$APP_BIN" serve >"$run/serve.log" 2>&1 &
  pids+=($!)
  "$APP_BIN" worker >"$run/worker.log" 2>&1 &
  pids+=($!)
  local tries=0
  until curl -fsS --noproxy '*' "$FOLIO_BASE_URL/readyz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    ((tries < 100)) || die "folio serve did not become ready: $(tail -5 "$run/serve.log")"
    sleep 0.1
  done
  say "release binary serving $web/dist at $FOLIO_BASE_URL/app/ (PostgreSQL database $database)"
}

install_tools
unit_tests_and_build
serve
say "end to end in Chromium (web/e2e/app.e2e.mjs)"
rm -rf "$shots"
(cd "$web" && APP_BASE_URL="$FOLIO_BASE_URL" APP_CHROMIUM="$APP_CHROMIUM" APP_SHOTS_DIR="$shots" node e2e/app.e2e.mjs)
# The server logs at warn: anything there is worth failing for.
if grep -q '"level":"ERROR"' "$run/serve.log" "$run/worker.log"; then
  grep '"level":"ERROR"' "$run/serve.log" "$run/worker.log" | head -5 >&2
  die "the server logged errors during the browser run"
fi
say "screenshots: $(cd "$shots" && ls)"
