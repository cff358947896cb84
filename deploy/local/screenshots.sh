#!/usr/bin/env bash
# The admin panel and the public site in a real browser (headless Chromium): seed a few
# categories, items with images, subscribers and messages through the app itself, take
# screenshots, and check that no admin list (nor the dashboard) scrolls the page sideways at
# 1280 and 390 px and that every table's last column can be reached.
#
#   deploy/local/screenshots.sh      build the debug binary, run everything, exit non-zero on
#                                    any failed check; PNGs in target/screenshots/
#
# One `folio serve` on SQLite on a free loopback port, with a fresh data directory under
# SHOTS_DIR/run/ (mail to files, images on disk, the embedded worker making renditions), and a
# staff user made by `folio admin create-user --staff`. The driver (screenshots.cjs) uses
# playwright-core from npm, installed under STACK_TOOLS_DIR, with Debian's Chromium
# (apt-get install chromium when /usr/bin/chromium is missing).
#
# Settings (environment): SHOTS_DIR (target/screenshots), SHOTS_BIN (a folio binary to use
# instead of building one), STACK_TOOLS_DIR (target/local-tools), SHOTS_CHROMIUM
# (/usr/bin/chromium), CARGO_TARGET_DIR (where cargo builds, as usual).
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/deploy/local"

absolute() { mkdir -p "$1" && (cd "$1" && pwd); }
SHOTS_DIR=$(absolute "${SHOTS_DIR:-$root/target/screenshots}")
STACK_TOOLS_DIR=$(absolute "${STACK_TOOLS_DIR:-$root/target/local-tools}")
SHOTS_CHROMIUM=${SHOTS_CHROMIUM:-/usr/bin/chromium}
# The version this machine's Chromium was tried with; the lock keeps the install repeatable.
PLAYWRIGHT_CORE_VERSION=1.64.1
node_dir="$STACK_TOOLS_DIR/node"
run="$SHOTS_DIR/run"

say() { printf '== %s\n' "$*"; }

install_tools() {
  if [[ ! -x $SHOTS_CHROMIUM ]]; then
    say "installing Chromium from Debian (apt-get install chromium)"
    if [[ $(id -u) -ne 0 ]]; then
      echo "error: $SHOTS_CHROMIUM is missing; install Debian's chromium package (as root)" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [[ ! -f $node_dir/node_modules/playwright-core/package.json ]] ||
    [[ $(node -p "require('$node_dir/node_modules/playwright-core/package.json').version") != "$PLAYWRIGHT_CORE_VERSION" ]]; then
    say "installing playwright-core@$PLAYWRIGHT_CORE_VERSION from npm into $node_dir"
    mkdir -p "$node_dir"
    # playwright-core downloads no browser: it drives the Chromium above.
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error \
      "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null)
  fi
}

# Sets `bin`: SHOTS_BIN, or a fresh debug build.
build() {
  if [[ -n ${SHOTS_BIN:-} ]]; then
    bin=$SHOTS_BIN
    return
  fi
  say "building the debug binary (cargo build -p folio)"
  (cd "$root" && cargo build --quiet -p folio)
  local target=${CARGO_TARGET_DIR:-$root/target}
  [[ $target = /* ]] || target="$root/$target"
  # A copy: another build in the same target directory may replace the binary meanwhile.
  cp "$target/debug/folio" "$run/folio"
  bin="$run/folio"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_pid=""
stop_server() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT

main() {
  local started=$SECONDS
  install_tools
  rm -rf "$run"
  mkdir -p "$run/data"
  find "$SHOTS_DIR" -maxdepth 1 -name '*.png' -delete
  local bin port
  build
  port=$(free_port)

  export FOLIO_LISTEN="127.0.0.1:$port"
  export FOLIO_BASE_URL="http://127.0.0.1:$port"
  export FOLIO_DATABASE_URL="sqlite://$run/data/folio.db?mode=rwc"
  export FOLIO_EMAIL_URL="file://$run/data/mail"
  export FOLIO_STORAGE_URL="file://$run/data/media"
  export FOLIO_SECRET_KEY
  FOLIO_SECRET_KEY=$(openssl rand -hex 64)
  export FOLIO_LOG_FORMAT=json FOLIO_LOG=info FOLIO_SHUTDOWN_GRACE_SECS=5

  local staff=editor@folio.test password
  password=$(openssl rand -hex 16)
  say "folio migrate, then folio admin create-user --email $staff --staff"
  "$bin" migrate >"$run/migrate.log" 2>&1
  printf '%s\n' "$password" | "$bin" admin create-user --email "$staff" --staff >"$run/create-user.log" 2>&1

  say "folio serve on $FOLIO_BASE_URL (log: $run/serve.log)"
  "$bin" serve >"$run/serve.log" 2>&1 &
  server_pid=$!
  local tries=0
  until curl -fsS --noproxy '*' "$FOLIO_BASE_URL/readyz" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if ((tries > 100)) || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "error: folio serve did not become ready; the end of its log:" >&2
      tail -n 20 "$run/serve.log" >&2
      exit 1
    fi
    sleep 0.2
  done

  local status=0
  SHOTS_BASE_URL=$FOLIO_BASE_URL SHOTS_STAFF_EMAIL=$staff SHOTS_STAFF_PASSWORD=$password \
    SHOTS_OUT=$SHOTS_DIR SHOTS_CHROMIUM=$SHOTS_CHROMIUM \
    SHOTS_PLAYWRIGHT="$node_dir/node_modules/playwright-core" \
    node "$here/screenshots.cjs" || status=$?
  stop_server
  if grep -q '"level":"ERROR"' "$run/serve.log"; then
    echo "FAIL: the server logged errors:" >&2
    grep '"level":"ERROR"' "$run/serve.log" | tail -n 5 >&2
    status=1
  fi
  say "took $((SECONDS - started)) s; screenshots in $SHOTS_DIR"
  if ((status != 0)); then
    echo "SCREENSHOTS FAILED" >&2
  fi
  return "$status"
}

main "$@"
