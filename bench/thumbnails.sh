#!/usr/bin/env bash
# Folio thumbnail benchmark: 200 uploaded 12-megapixel JPEGs, renditions made by the worker with
# 2 loops (the target: peak RSS under 300 MB). Prints images/s and the worker process's peak
# RSS, and appends them to bench/results/thumbnails.md.
#
# Usage:
#   bench/thumbnails.sh                     (200 images, 2 worker loops)
#   BENCH_IMAGES=20 bench/thumbnails.sh     (a quick trial)
#
# The driver is crates/folio-jobs/examples/thumbnail_bench.rs, built in release mode: a fresh
# SQLite database and media directory, each image stored and queued as an admin upload leaves
# it, then the real worker runs the make_renditions jobs (decode, resize, WebP + JPEG, store).
#
# Settings (environment): BENCH_IMAGES (200), BENCH_WORKERS (2), BENCH_WIDTH × BENCH_HEIGHT
# (4000 × 3000), BENCH_TIMEOUT (900 s).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

cd "$ROOT"
cargo build --release --quiet -p folio-jobs --example thumbnail_bench
mkdir -p bench/results
output=$(mktemp)
trap 'rm -f "$output"' EXIT

set +e
"$TARGET_DIR/release/examples/thumbnail_bench" | tee "$output"
status=${PIPESTATUS[0]}
set -e

{
  printf '\n## %s (commit %s, %s cores)\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(git rev-parse --short HEAD)" "$(nproc)"
  grep -v '^  ' "$output" | sed 's/^/    /'
} >>bench/results/thumbnails.md
exit "$status"
