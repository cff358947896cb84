#!/usr/bin/env bash
# What the quota check costs at its worst: an account at the notes quota (10,000 notes by
# default) with the text quota full (10,000 bytes each, 100 MB), on PostgreSQL and on SQLite.
# Before each note write Folio runs one statement, the one below, on the user's index
# (folio_db::queries::notes::usage); this times that statement on its own, warm, with pgbench
# and with sqlite3's timer, and prints the mean per check.
#
#   bench/quota-check.sh                        (needs target/release/folio for `folio migrate`)
#   BENCH_BIN=target/debug/folio BENCH_QUOTA_NOTES=1000 bench/quota-check.sh
#
# Settings: BENCH_BIN, BENCH_QUOTA_NOTES (10000), BENCH_QUOTA_NOTE_BYTES (10000),
# BENCH_QUOTA_RUNS (100), BENCH_PG (postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BENCH_BIN:-target/release/folio}
notes=${BENCH_QUOTA_NOTES:-10000}
bytes=${BENCH_QUOTA_NOTE_BYTES:-10000}
runs=${BENCH_QUOTA_RUNS:-100}
pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
db="folio_quota_bench_$$"
work=$(mktemp -d)
cleanup() {
  psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p folio, or set BENCH_BIN)" >&2; exit 1; }

echo "== $notes notes of $bytes bytes each for one account ($((notes * bytes / 1000000)) MB of text)"

echo "== PostgreSQL"
psql -q "$pg/postgres" -c "CREATE DATABASE $db" >/dev/null
FOLIO_DATABASE_URL="$pg/$db?sslmode=disable" "$bin" migrate >/dev/null
# Hex of random bytes: text that compresses about as badly as people's notes do.
psql -q "$pg/$db" >/dev/null <<SQL
INSERT INTO users (email, password_hash, is_staff, is_active, created_at)
  VALUES ('bench@example.org', 'not a hash', false, true, now());
INSERT INTO notes (user_id, name, text, created_at, updated_at)
  SELECT 1, 'note ' || i,
         (SELECT string_agg(md5(random()::text || i || j), '') FROM generate_series(1, $bytes / 32) j),
         now(), now()
  FROM generate_series(1, $notes) i;
VACUUM ANALYZE notes;
SQL
psql -qtA "$pg/$db" -c "SELECT 'stored: ' || COUNT(*) || ' notes, ' || SUM(OCTET_LENGTH(text)) || ' bytes of text, table ' || pg_size_pretty(pg_total_relation_size('notes')) FROM notes"
echo 'SELECT COUNT(notes.id) AS notes, COALESCE(SUM(OCTET_LENGTH(text)), 0) AS text_bytes FROM notes WHERE notes.user_id = 1;' > "$work/check.sql"
pgbench -n -c 1 -t 10 -f "$work/check.sql" "$pg/$db" >/dev/null 2>&1
pgbench -n -c 1 -t "$runs" -f "$work/check.sql" "$pg/$db" 2>/dev/null | grep -E "latency average"
psql -qtA "$pg/$db" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(notes.id), COALESCE(SUM(OCTET_LENGTH(text)), 0) FROM notes WHERE notes.user_id = 1" | grep -E "Scan|Buffers|Execution" | sed 's/^/  /'

echo "== SQLite"
sqlite="$work/quota.db"
FOLIO_DATABASE_URL="sqlite://$sqlite?mode=rwc" "$bin" migrate >/dev/null
sqlite3 "$sqlite" <<SQL
INSERT INTO users (email, password_hash, is_staff, is_active, created_at)
  VALUES ('bench@example.org', 'not a hash', 0, 1, datetime('now'));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $notes)
INSERT INTO notes (user_id, name, text, created_at, updated_at)
  SELECT 1, 'note ' || i, lower(hex(randomblob($bytes / 2))), datetime('now'), datetime('now') FROM n;
ANALYZE;
SQL
echo "stored: $(sqlite3 "$sqlite" "SELECT COUNT(*) || ' notes, ' || SUM(LENGTH(CAST(text AS BLOB))) || ' bytes of text' FROM notes"), file $(du -h "$sqlite" | cut -f1)"
query='SELECT COUNT(notes.id) AS notes, COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) AS text_bytes FROM notes WHERE notes.user_id = 1;'
{ echo ".timer on"; for _ in $(seq "$runs"); do echo "$query"; done; } > "$work/check.sqlite"
sqlite3 "$sqlite" "$query" >/dev/null  # warm
sqlite3 "$sqlite" < "$work/check.sqlite" | awk -v runs="$runs" '
  /^Run Time/ { total += $4 }
  END { printf "latency average = %.3f ms (%d checks, sqlite3 timer)\n", total * 1000 / runs, runs }'
sqlite3 "$sqlite" "EXPLAIN QUERY PLAN $query" | sed 's/^/  plan: /'
