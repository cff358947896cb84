#!/usr/bin/env bash
# What the quota check costs at its worst: an account at the notes quota (10,000 notes by
# default) with the text quota full (10,000 bytes each, 100 MB), on PostgreSQL and on SQLite.
# Before each note write Folio runs one statement, the one below, on the user's index
# (folio_db::queries::notes::usage); this times that statement on its own, warm, with pgbench
# and from Python on the SQLite Folio bundles, and prints the mean per check. On SQLite it also
# times the expression used before (LENGTH(CAST(text AS BLOB)), which reads every text).
#
#   bench/quota-check.sh                        (needs target/release/folio for `folio migrate`)
#   BENCH_BIN=target/debug/folio BENCH_QUOTA_NOTES=1000 bench/quota-check.sh
#
# Settings: BENCH_BIN, BENCH_QUOTA_NOTES (10000), BENCH_QUOTA_NOTE_BYTES (10000),
# BENCH_QUOTA_RUNS (100), BENCH_PG (postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
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
FOLIO_LOG=warn FOLIO_DATABASE_URL="$pg/$db?sslmode=disable" "$bin" migrate >/dev/null
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
# Debian's sqlite3 is 3.40; Folio bundles 3.51 (libsqlite3-sys), and octet_length() came in
# 3.43. pysqlite3-binary, from PyPI, carries a current SQLite.
venv="$root/target/bench-tools/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import pysqlite3" 2>/dev/null || "$venv/bin/pip" install -q pysqlite3-binary
sqlite="$work/quota.db"
FOLIO_LOG=warn FOLIO_DATABASE_URL="sqlite://$sqlite?mode=rwc" "$bin" migrate >/dev/null
"$venv/bin/python" - "$sqlite" "$notes" "$bytes" "$runs" <<'PY'
import sys, time, os
import pysqlite3 as sqlite3
path, notes, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path)
db.execute("INSERT INTO users (email, password_hash, is_staff, is_active, created_at) "
           "VALUES ('bench@example.org', 'not a hash', 0, 1, datetime('now'))")
db.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {notes}) "
           "INSERT INTO notes (user_id, name, text, created_at, updated_at) "
           f"SELECT 1, 'note ' || i, lower(hex(randomblob({size // 2}))), datetime('now'), datetime('now') FROM n")
db.commit()
db.execute("ANALYZE")
print(f"SQLite {sqlite3.sqlite_version}; file {os.path.getsize(path) / 1e6:.0f} MB")
for label, expression in [
    ("LENGTH(CAST(text AS BLOB)) (before)", "LENGTH(CAST(text AS BLOB))"),
    ("OCTET_LENGTH(text) (Folio's statement)", "OCTET_LENGTH(text)"),
]:
    query = f"SELECT COUNT(notes.id), COALESCE(SUM({expression}), 0) FROM notes WHERE notes.user_id = 1"
    db.execute(query).fetchone()  # warm
    started = time.perf_counter()
    for _ in range(runs):
        count, total = db.execute(query).fetchone()
    mean = (time.perf_counter() - started) * 1000 / runs
    print(f"{label}: {count} notes, {total} bytes; latency average = {mean:.3f} ms ({runs} checks)")
PY
