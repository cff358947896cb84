#!/usr/bin/env bash
# Folio job-system benchmark: 10,000 notification emails to an SMTP sink with 4 worker loops on
# PostgreSQL. Times publish -> last email received, and counts duplicates and losses from what
# the sink received (the run fails if either is not zero).
#
# Usage:
#   bench/jobs.sh                          (10,000 subscribers, 4 worker loops)
#   BENCH_SUBSCRIBERS=1000 bench/jobs.sh   (a quick trial)
#
# The driver is crates/folio-jobs/examples/notify_bench.rs, built in release mode. It creates
# a fresh database on the PostgreSQL server, seeds the confirmed subscribers and a published
# item, enqueues the fan-out job in a transaction (as publishing does), runs the worker, and
# drops the database afterwards.
#
# Settings (environment):
#   BENCH_PG              PostgreSQL server URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_SUBSCRIBERS     confirmed subscribers (default 10000)
#   BENCH_WORKERS         worker loops (default 4)
#   BENCH_DB_CONNECTIONS  database pool size (default 4, Folio's production default)
#   BENCH_TIMEOUT         seconds before the run counts as failed (default 300)
#
# Prints the figures and appends them to bench/results/jobs.md.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export FOLIO_TEST_POSTGRES_URL=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}

cd "$ROOT"
cargo build --release --quiet -p folio-jobs --example notify_bench
mkdir -p bench/results
output=$(mktemp)
trap 'rm -f "$output"' EXIT

set +e
"$TARGET_DIR/release/examples/notify_bench" | tee "$output"
status=${PIPESTATUS[0]}
set -e

{
  printf '\n## %s (commit %s)\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD)"
  grep -v '^  ' "$output" | sed 's/^/    /'
} >>bench/results/jobs.md
exit "$status"
