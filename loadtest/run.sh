#!/usr/bin/env bash
# Folio's load test (goose, loadtest/): builds it, and
#
#   by default: starts the local production-like stack (deploy/local/stack.sh: haproxy TLS in
#     front of 2 web + worker + PostgreSQL + Redis + S3 + SMTP, the release binary at STACK_BIN),
#     creates a staff user with `folio admin create-user --staff`, seeds the site (categories,
#     published items with pictures) through the admin's forms, runs the load test, and stops
#     the stack again;
#   with LOADTEST_HOST=https://...: runs against that base URL and starts nothing (the staff
#     scenario needs LOADTEST_STAFF_EMAIL/LOADTEST_STAFF_PASSWORD of a staff account there;
#     LOADTEST_SEED=1 seeds that site first, through its admin).
#
# The report of the last run goes to loadtest/report/: last-run.html (goose's HTML report, with
# graphs), last-run.md, last-run.txt (the text summary goose prints) and last-run.env (what
# ran, where, and on what hardware).
#
# Settings (environment; goose's own flags can follow on the command line):
#   LOADTEST_DURATION   seconds of load (default 60)
#   LOADTEST_USERS      goose users (default 50), LOADTEST_INCREASE_RATE users started per second (10)
#   LOADTEST_WEIGHTS    scenario weights, default readers=12,notes=6,staff=1,subscribers=2
#   LOADTEST_HOST       a base URL to test instead of starting the local stack
#   LOADTEST_CA_FILE    a PEM CA to trust (the local stack's is used automatically)
#   LOADTEST_SOURCE_ADDRESSES  auto (default), loopback or shared: see loadtest/README.md
#   LOADTEST_SEED_ITEMS items per seeded category (default 6)
#   LOADTEST_REPORT_DIR where the report goes (default loadtest/report)
#   STACK_*             passed on to deploy/local/stack.sh (STACK_DIR, STACK_BIN, the ports ...)
#   CARGO_TARGET_DIR    where cargo builds the load test (default loadtest/target)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
stack="$root/deploy/local/stack.sh"

LOADTEST_DURATION=${LOADTEST_DURATION:-60}
LOADTEST_USERS=${LOADTEST_USERS:-50}
LOADTEST_INCREASE_RATE=${LOADTEST_INCREASE_RATE:-10}
LOADTEST_SEED_ITEMS=${LOADTEST_SEED_ITEMS:-6}
LOADTEST_REPORT_DIR=${LOADTEST_REPORT_DIR:-$here/report}
export LOADTEST_RUN_ID=${LOADTEST_RUN_ID:-$(date -u +%Y%m%d%H%M%S)}

say() { printf '[loadtest] %s\n' "$*"; }
die() { printf '[loadtest] ERROR: %s\n' "$*" >&2; exit 1; }

say "building the load test (release)"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/release/folio-loadtest"
[ -x "$bin" ] || die "no binary at $bin after the build"

stack_started=0
# shellcheck disable=SC2317  # run by the EXIT trap
stop_stack() {
  if [ "$stack_started" -eq 1 ]; then
    say "stopping the local stack"
    "$stack" stop || say "the stack did not stop cleanly (see its logs under ${STACK_DIR:-$root/target/local-stack}/logs)"
  fi
}
trap stop_stack EXIT

if [ -n "${LOADTEST_HOST:-}" ]; then
  host=${LOADTEST_HOST%/}
  target="$host (given by LOADTEST_HOST)"
  if [ "${LOADTEST_SEED:-0}" = 1 ]; then
    "$bin" seed --host "$host" --items "$LOADTEST_SEED_ITEMS"
  fi
else
  "$stack" start
  stack_started=1
  # The stack's environment: its URL, CA, binary, and what `folio admin` needs to reach its
  # database. Only the stack's FOLIO_* settings reach the folio command.
  while read -r name; do unset "$name"; done < <(compgen -e | grep '^FOLIO_' || true)
  # shellcheck source=/dev/null
  source <("$stack" env)
  host=$FOLIO_BASE_URL
  export LOADTEST_CA_FILE=${LOADTEST_CA_FILE:-$STACK_CA_FILE}
  export LOADTEST_STAFF_EMAIL=${LOADTEST_STAFF_EMAIL:-loadtest-staff@example.org}
  export LOADTEST_STAFF_PASSWORD=${LOADTEST_STAFF_PASSWORD:-load test staff password}
  say "staff user $LOADTEST_STAFF_EMAIL (folio admin create-user --staff)"
  printf '%s\n' "$LOADTEST_STAFF_PASSWORD" |
    "$STACK_BIN" admin create-user --email "$LOADTEST_STAFF_EMAIL" --staff >/dev/null
  "$bin" seed --host "$host" --items "$LOADTEST_SEED_ITEMS"
  target="the local stack, $host ($("$STACK_BIN" --version); haproxy TLS, web x2, worker, PostgreSQL, Redis, S3, SMTP)"
fi

mkdir -p "$LOADTEST_REPORT_DIR"
say "load: $LOADTEST_USERS users (increase rate $LOADTEST_INCREASE_RATE/s) for ${LOADTEST_DURATION}s against $target"
# What else the machine was doing just before (the load generator shares it with the stack).
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
status=0
"$bin" --host "$host" --users "$LOADTEST_USERS" --increase-rate "$LOADTEST_INCREASE_RATE" \
  --run-time "${LOADTEST_DURATION}s" \
  --report-file "$LOADTEST_REPORT_DIR/last-run.html" --report-file "$LOADTEST_REPORT_DIR/last-run.md" \
  "$@" 2>&1 | tee "$LOADTEST_REPORT_DIR/last-run.txt" || status=$?

# On the local stack, what the run left behind it: the emails the worker sent (subscription
# confirmations, notifications) once the queue has drained, the worker's jobs by kind, and the
# warnings and errors the app logged.
after=""
if [ "$stack_started" -eq 1 ]; then
  stack_dir=${STACK_DIR:-$root/target/local-stack}
  previous=-1
  mails=0
  for _ in $(seq 1 30); do
    mails=$(find "$stack_dir/mail/new" -type f 2>/dev/null | wc -l)
    [ "$mails" -eq "$previous" ] && break
    previous=$mails
    sleep 1
  done
  jobs=$(grep '"message":"job done"' "$stack_dir/logs/worker.log" | grep -o '"kind":"[a-z_]*"' |
    cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')
  problems=$(cat "$stack_dir"/logs/{web1,web2,worker}.log | grep -cE '"level":"(WARN|ERROR)"' || true)
  after="emails_received_by_smtp=$mails
worker_jobs_done=${jobs%, }
app_warnings_and_errors_logged=$problems"
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# The last load test run (loadtest/run.sh)"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "target=$target"
  echo "users=$LOADTEST_USERS increase_rate=$LOADTEST_INCREASE_RATE duration=${LOADTEST_DURATION}s weights=${LOADTEST_WEIGHTS:-readers=12,notes=6,staff=1,subscribers=2}"
  echo "extra_goose_flags=$*"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu=$cpu"
  echo "cores=$(nproc)"
  echo "memory=$(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "kernel=$(uname -sr)"
  echo "load_generator=on the same machine as the stack"
  echo "loadavg_before=$loadavg_before (1, 5, 15 min; above 0 means other work on the same cores)"
  [ -z "$after" ] || echo "$after"
} >"$LOADTEST_REPORT_DIR/last-run.env"
say "report: $LOADTEST_REPORT_DIR/last-run.html (and .md, .txt, .env)"
[ "$status" -eq 0 ] || say "the load test exited with $status (3: some requests failed)"
exit "$status"
