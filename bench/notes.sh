#!/usr/bin/env bash
# Folio HTTP benchmark: throughput and latency of the main pages on SQLite and PostgreSQL,
# next to a "ceiling" (a bare axum + sqlx server doing one PostgreSQL select per request).
#
# Usage:
#   bench/notes.sh [sqlite] [postgres] [postgres-redis] [ceiling]
#                                                    (no argument: all four, in that order)
#   BENCH_DURATION=5 bench/notes.sh                  (a quick trial; default 30 s per run)
#
# What it does, per backend:
#   1. a fresh database (a temporary SQLite file, or a new PostgreSQL database migrated with
#      `folio migrate`);
#   2. starts `folio serve` and times spawn -> first 200 from /readyz;
#   3. seeds one user with 10 pads and 500 notes through the HTTP forms, with curl;
#   4. runs wrk (32 connections, 2 threads, --latency) against
#        GET /              all notes, signed in (session cookie as a header)
#        GET /notes/<id>/   one note, signed in
#        GET /api/v1/notes?per_page=500, GET /api/v1/notes, GET /api/v1/notes/<id>
#                           the same as JSON, with a read-only API token (its rate limit set
#                           out of reach: the limiter still counts every request)
#        GET /signin/       anonymous, no cookies
#        POST /notes/create/  signed in, a valid csrf_token (bench/create_note.lua)
#      and, on PostgreSQL, the public site (30 published items written with psql):
#        GET /site/items/<category>/<item>/   anonymous (page cache + view counter)
#        GET /site/items/<category>/          anonymous (page cache)
#        GET /api/v1/items                    anonymous (the same items as JSON)
#   5. reads the server's peak RSS (VmHWM) and stops it.
# postgres-redis is postgres with FOLIO_CACHE_URL=redis://… (sessions in Redis, with the
# in-process cache kept correct across instances); the summary puts its rows beside postgres's.
# Then the ceiling (crates/folio-web/examples/pg_ceiling.rs) is measured the same way.
#
# Prints a markdown summary and writes it to bench/results/latest.md (raw wrk output and the
# server logs of the run are kept next to it in bench/results/last-run/).
#
# Needs: cargo, curl, psql (PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres),
# and wrk (installed with apt-get when missing; we run as root).
#
# Settings (environment):
#   BENCH_DURATION   seconds per wrk run (default 30)
#   BENCH_PORT       Folio's port (default 8300); BENCH_CEILING_PORT the ceiling's (8399)
#   BENCH_PG         PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   BENCH_PG_PARAMS  query string added to the database URLs (default ?sslmode=disable)
#   BENCH_REDIS      Redis for postgres-redis (default redis://127.0.0.1:6379)
#   BENCH_METRICS_PORT  the server's FOLIO_METRICS_LISTEN port (default 8364); its /metrics is
#                    saved after each backend's runs as last-run/metrics-<backend>.txt
#   BENCH_SKIP_BUILD set to 1 to use the binaries already in target/release
#
# Caveat: on this 2-core machine wrk and the server share the CPU, so absolute numbers are
# lower than on separate hosts; compare rows with each other (and with the ceiling), not with
# numbers taken elsewhere.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
DURATION=${BENCH_DURATION:-30}
CONNECTIONS=32
THREADS=2
PORT=${BENCH_PORT:-8300}
CEILING_PORT=${BENCH_CEILING_PORT:-8399}
PG_SERVER=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
# Query string for the app's and the ceiling's database URL. The server is on loopback, so TLS
# is off: with sqlx's default (sslmode=prefer) each new connection negotiates TLS with the
# local server, which costs ~90 ms per connection here and dominates start-to-ready.
# BENCH_PG_PARAMS="" measures with the default instead.
PG_PARAMS=${BENCH_PG_PARAMS-?sslmode=disable}
REDIS_URL=${BENCH_REDIS:-redis://127.0.0.1:6379}
METRICS_PORT=${BENCH_METRICS_PORT:-8364}
PADS=10
NOTES=500

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
FOLIO_BIN="$TARGET_DIR/release/folio"
CEILING_BIN="$TARGET_DIR/release/examples/pg_ceiling"
RESULTS_DIR="$BENCH_DIR/results"
RUN_DIR="$RESULTS_DIR/last-run"   # raw wrk output and server logs of the latest run
WORK=$(mktemp -d /tmp/folio-bench.XXXXXX)

if [[ $# -gt 0 ]]; then TARGETS=("$@"); else TARGETS=(sqlite postgres postgres-redis ceiling); fi
for target in "${TARGETS[@]}"; do
    case $target in
        sqlite | postgres | postgres-redis | ceiling) ;;
        *) echo "unknown target '$target': use sqlite, postgres, postgres-redis and/or ceiling" >&2; exit 2 ;;
    esac
done

# State shared by the functions below.
SERVER_PID=""        # the server being measured, if one is running
CREATED_DBS=()       # PostgreSQL databases to drop on exit
ROWS=()              # "backend|endpoint|req/s|p50|p99|errors" per wrk run
BACKEND_ROWS=()      # "backend|start-to-ready ms|peak RSS MB"
PROBLEMS=()          # anything that looked wrong, for the summary

log() { printf '\n==> %s\n' "$*" >&2; }
problem() { printf '!!! %s\n' "$*" >&2; PROBLEMS+=("$*"); }

psql_admin() { psql "$PG_SERVER/postgres" -v ON_ERROR_STOP=1 -qAt -c "$1"; }

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        # Folio gives in-flight requests a grace period (set short below); don't wait forever.
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

cleanup() {
    stop_server
    for db in "${CREATED_DBS[@]}"; do
        # FORCE ends connections a killed server may have left behind.
        psql_admin "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || echo "could not drop database $db" >&2
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

ensure_tools() {
    if ! command -v wrk >/dev/null; then
        log "installing wrk"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    fi
    for tool in curl psql; do
        command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
    done
}

build() {
    if [[ ${BENCH_SKIP_BUILD:-0} == 1 ]]; then return; fi
    log "building release binaries"
    (cd "$ROOT" && cargo build --release -p folio && cargo build --release -p folio-web --example pg_ceiling)
}

# Microseconds since the epoch, from bash's own clock (no process spawned).
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s' "$t"; }

# The HTTP status of GET $2 on 127.0.0.1:$1, or nothing when nobody answers yet. Done with
# bash's /dev/tcp rather than curl so that polling costs no exec and the timing stays fine.
http_status() {
    local port=$1 path=$2 fd line
    { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 0
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$path" "$port" >&"$fd"
    read -r -t 2 line <&"$fd" || true
    exec {fd}>&-
    line=${line#HTTP/* }
    printf '%s' "${line%% *}"
}

# Waits until GET $2 on port $1 answers 200 and prints the milliseconds since $3 (a now_us
# reading taken just before the spawn). Fails if the server dies or 30 s pass.
wait_ready() {
    local port=$1 path=$2 started=$3 log_file=$4 status
    while true; do
        status=$(http_status "$port" "$path")
        if [[ $status == 200 ]]; then
            printf '%s' $(( ($(now_us) - started) / 1000 ))
            return
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "the server exited before it was ready; its log:" >&2
            cat "$log_file" >&2
            exit 1
        fi
        if (( $(now_us) - started > 30000000 )); then
            echo "the server was not ready after 30 s (last status '${status}'); its log:" >&2
            cat "$log_file" >&2
            exit 1
        fi
        sleep 0.002
    done
}

peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# --- seeding through the forms ---------------------------------------------------------------

# The hidden csrf_token of the page in $1.
csrf_of() {
    sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# curl with the seeding cookie jar; prints the status code. Redirects are not followed.
jar_curl() {
    curl -sS -o "$WORK/page.html" -D "$WORK/headers.txt" -w '%{http_code}' \
        -b "$WORK/jar.txt" -c "$WORK/jar.txt" "$@"
}

# Posts a form ($1 = path, then curl --data-urlencode arguments) and insists on a 303.
post_form() {
    local path=$1 status
    shift
    status=$(jar_curl "http://127.0.0.1:$PORT$path" "$@")
    if [[ $status != 303 ]]; then
        echo "POST $path answered $status, expected 303; page saved in $RUN_DIR/failed-post.html" >&2
        cp "$WORK/page.html" "$RUN_DIR/failed-post.html"
        exit 1
    fi
}

# The form page at $1 must answer 200; prints its csrf_token.
form_token() {
    local status token
    status=$(jar_curl "http://127.0.0.1:$PORT$1")
    [[ $status == 200 ]] || { echo "GET $1 answered $status, expected 200" >&2; exit 1; }
    token=$(csrf_of "$WORK/page.html")
    [[ -n $token ]] || { echo "no csrf_token on $1" >&2; exit 1; }
    printf '%s' "$token"
}

# Seeds one user with $PADS pads and $NOTES notes. Sets SESSION_COOKIE, SESSION_CSRF, PAD_IDS,
# NOTE_ID (a note in the middle of the list) and API_TOKEN (a read-only personal access token).
seed() {
    local email="bench@example.org" password="bench-password-1" token i pad
    local filler="Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor."
    rm -f "$WORK/jar.txt"

    token=$(form_token /signup/)
    post_form /signup/ --data-urlencode "email=$email" --data-urlencode "password=$password" \
        --data-urlencode "repeat_password=$password" --data-urlencode "csrf_token=$token"
    token=$(form_token /signin/)
    post_form /signin/ --data-urlencode "email=$email" --data-urlencode "password=$password" \
        --data-urlencode "next=" --data-urlencode "csrf_token=$token"

    # A signed-in user's token belongs to the session, so one token serves every later form.
    SESSION_CSRF=$(form_token /pads/create/)
    PAD_IDS=()
    for i in $(seq "$PADS"); do
        post_form /pads/create/ --data-urlencode "name=Pad $i" --data-urlencode "csrf_token=$SESSION_CSRF"
        PAD_IDS+=("$(sed -n 's|^[Ll]ocation: /pads/\([0-9]*\)/.*|\1|p' "$WORK/headers.txt" | tr -d '\r')")
    done
    [[ ${#PAD_IDS[@]} == "$PADS" && -n ${PAD_IDS[0]} ]] || { echo "could not read the pad ids" >&2; exit 1; }

    # Notes go round-robin over the pads and "no pad" (one in eleven).
    for i in $(seq "$NOTES"); do
        pad=""
        if (( i % (PADS + 1) != 0 )); then pad=${PAD_IDS[$(( i % (PADS + 1) - 1 ))]}; fi
        post_form /notes/create/ --data-urlencode "name=Note $i" \
            --data-urlencode "text=Seeded note number $i. $filler" \
            --data-urlencode "pad=$pad" --data-urlencode "csrf_token=$SESSION_CSRF"
    done

    # A read-only API token, made in Settings like a person would (201, the token on the page).
    local status
    status=$(jar_curl "http://127.0.0.1:$PORT/settings/tokens/" --data-urlencode "name=bench" \
        --data-urlencode "scope=read" --data-urlencode "expires=7" --data-urlencode "csrf_token=$SESSION_CSRF")
    [[ $status == 201 ]] || { echo "making an API token answered $status, expected 201" >&2; exit 1; }
    API_TOKEN=$(grep -o 'folio_pat_[0-9a-f]\{64\}' "$WORK/page.html" | head -n 1)
    [[ -n $API_TOKEN ]] || { echo "no API token on the tokens page" >&2; exit 1; }

    # The jar marks HttpOnly cookies with a "#HttpOnly_" prefix; field 6 is the name, 7 the value.
    SESSION_COOKIE="folio_session=$(awk '$6 == "folio_session" { print $7 }' "$WORK/jar.txt" | tail -n 1)"
    [[ $SESSION_COOKIE != "folio_session=" ]] || { echo "no session cookie after signing in" >&2; exit 1; }

    [[ $(jar_curl "http://127.0.0.1:$PORT/") == 200 ]] || { echo "GET / after seeding failed" >&2; exit 1; }
    local count
    count=$(grep -o 'href="/notes/[0-9]*/"' "$WORK/page.html" | sort -u | wc -l)
    [[ $count == "$NOTES" ]] || problem "GET / lists $count distinct notes after seeding $NOTES"
    NOTE_ID=$(grep -o 'href="/notes/[0-9]*/"' "$WORK/page.html" | sort -u | sed -n "$(( count / 2 + 1 ))p" |
        grep -o '[0-9]*')
}

# Site content for the public-page runs: one category and $SITE_ITEMS published items with a
# Markdown-sized body, written straight to PostgreSQL (the admin panel's forms would add
# nothing to what is measured: page views).
SITE_ITEMS=30
seed_site() {
    local url=$1
    psql "$url" -v ON_ERROR_STOP=1 -qAt <<SQL
INSERT INTO categories (name, slug, summary, position, created_at, updated_at)
VALUES ('Bench', 'bench', 'Items for the benchmark.', 0, now(), now());
INSERT INTO items (category_id, title, slug, summary, body, body_html, status, published_at,
                   view_count, created_at, updated_at)
SELECT (SELECT id FROM categories WHERE slug = 'bench'), 'Item ' || lpad(n::text, 2, '0'),
       'item-' || lpad(n::text, 2, '0'), 'Summary of item ' || n, repeat('Body text. ', 300),
       '<p>' || repeat('Body text. ', 300) || '</p>', 'published', now() - n * interval '1 hour',
       0, now(), now()
FROM generate_series(1, $SITE_ITEMS) AS n;
SQL
}

# --- measuring -------------------------------------------------------------------------------

# wrk prints latencies as 812.00us, 1.23ms, 1.02s or 1.50m; this turns one into milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n
    }'
}

# One wrk run. $1 backend, $2 endpoint label, $3 expected status of a sanity request made with
# curl before and after (GET runs only; "" to skip), $4 URL, then extra wrk arguments.
bench() {
    local backend=$1 label=$2 expect=$3 url=$4 out status rps p50 p99 socket non23 unexpected errors
    shift 4
    # A file name from the label: "GET /notes/<id>/" -> wrk-sqlite-GET_notes_id.txt
    out="$RUN_DIR/wrk-$backend-$(printf '%s' "$label" | tr -cs 'a-zA-Z0-9' '_' | sed 's/_$//').txt"
    local cookie_args=()
    for arg in "$@"; do
        if [[ $arg == Cookie:* || $arg == Authorization:* ]]; then cookie_args=(-H "$arg"); fi
    done

    # wrk would count a 302 (e.g. an unrecognised session sent to /signin/) as a success, so
    # check the status of the very request being measured, before and after the run.
    if [[ -n $expect ]]; then
        status=$(curl -sS -o /dev/null -w '%{http_code}' "${cookie_args[@]}" "$url")
        [[ $status == "$expect" ]] || problem "$backend $label: answered $status before the run (expected $expect)"
    fi

    log "$backend: $label (${DURATION}s, $CONNECTIONS connections, $THREADS threads)"
    wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$@" "$url" | tee "$out" >&2

    if [[ -n $expect ]]; then
        status=$(curl -sS -o /dev/null -w '%{http_code}' "${cookie_args[@]}" "$url")
        [[ $status == "$expect" ]] || problem "$backend $label: answered $status after the run (expected $expect)"
    fi

    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    non23=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    unexpected=$(awk '/^Unexpected \(non-3xx\) responses:/ { print $NF }' "$out")
    # The Lua script's count already includes wrk's own >= 400 count, so take one or the other.
    errors=$(( ${socket:-0} + ${unexpected:-${non23:-0}} ))
    if (( errors > 0 )); then
        problem "$backend $label: $errors errors (socket ${socket:-0}, bad status ${unexpected:-${non23:-0}}) $(grep '^Statuses:' "$out" || true)"
    fi
    ROWS+=("$backend|$label|$rps|$p50|$p99|$errors")
}

# Starts `folio serve` for database $2 (label $1), seeds, measures, stops.
bench_folio() {
    local backend=$1 database_url=$2 started ready_ms rss log_file="$RUN_DIR/server-$1.log"
    export FOLIO_LISTEN="127.0.0.1:$PORT" FOLIO_BASE_URL="http://127.0.0.1:$PORT" \
        FOLIO_DATABASE_URL="$database_url" FOLIO_EMAIL_URL="file://$WORK/mail" FOLIO_LOG=warn \
        FOLIO_LOG_FORMAT=json FOLIO_SHUTDOWN_GRACE_SECS=2 FOLIO_CACHE_URL=memory:// \
        FOLIO_CACHE_PREFIX="bench$$" FOLIO_METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
        FOLIO_API_RATE_LIMIT=1000000000 FOLIO_WRITE_RATE_LIMIT=1000000000
    if [[ $backend == postgres-redis ]]; then export FOLIO_CACHE_URL=$REDIS_URL; fi
    FOLIO_SECRET_KEY=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
    export FOLIO_SECRET_KEY
    mkdir -p "$WORK/mail"

    if [[ $backend == postgres* ]]; then
        log "$backend: migrating"
        "$FOLIO_BIN" migrate >"$RUN_DIR/migrate.log" 2>&1 || { cat "$RUN_DIR/migrate.log" >&2; exit 1; }
    fi

    log "$backend: starting folio serve"
    started=$(now_us)
    "$FOLIO_BIN" serve >"$log_file" 2>&1 &
    SERVER_PID=$!
    ready_ms=$(wait_ready "$PORT" /readyz "$started" "$log_file")
    echo "start to ready: ${ready_ms} ms" >&2

    log "$backend: seeding 1 user, $PADS pads, $NOTES notes"
    local seed_start=$SECONDS
    seed
    echo "seeded in $(( SECONDS - seed_start )) s; note id $NOTE_ID; pads ${PAD_IDS[*]}" >&2

    local base="http://127.0.0.1:$PORT"
    bench "$backend" "GET / ($NOTES notes)" 200 "$base/" -H "Cookie: $SESSION_COOKIE"
    bench "$backend" "GET /notes/<id>/" 200 "$base/notes/$NOTE_ID/" -H "Cookie: $SESSION_COOKIE"
    # The same data as JSON: all 500 notes in one page (the list's largest), then one note.
    bench "$backend" "GET /api/v1/notes?per_page=500 ($NOTES notes)" 200 "$base/api/v1/notes?per_page=500" \
        -H "Authorization: Bearer $API_TOKEN"
    bench "$backend" "GET /api/v1/notes (first page of 50)" 200 "$base/api/v1/notes" \
        -H "Authorization: Bearer $API_TOKEN"
    bench "$backend" "GET /api/v1/notes/<id>" 200 "$base/api/v1/notes/$NOTE_ID" \
        -H "Authorization: Bearer $API_TOKEN"
    bench "$backend" "GET /signin/ (anonymous)" 200 "$base/signin/"
    if [[ $backend == postgres* ]]; then
        seed_site "$database_url"
        bench "$backend" "GET /site/items/<category>/<item>/ (anonymous)" 200 "$base/site/items/bench/item-15/"
        bench "$backend" "GET /site/items/<category>/ (anonymous)" 200 "$base/site/items/bench/"
        # The same items as JSON (no page cache: one page query, the categories, the images).
        bench "$backend" "GET /api/v1/items (anonymous)" 200 "$base/api/v1/items"
    fi
    # Last, because it grows the list that GET / renders.
    BENCH_COOKIE="$SESSION_COOKIE" BENCH_CSRF="$SESSION_CSRF" BENCH_PAD="${PAD_IDS[0]}" \
        bench "$backend" "POST /notes/create/" "" "$base/notes/create/" -s "$BENCH_DIR/create_note.lua"

    rss=$(peak_rss_mb "$SERVER_PID")
    echo "peak RSS: ${rss} MB" >&2
    BACKEND_ROWS+=("$backend|$ready_ms|$rss")
    # What the server counted during the runs (FOLIO_METRICS_LISTEN), kept with the raw output.
    curl -sS "http://127.0.0.1:$METRICS_PORT/metrics" >"$RUN_DIR/metrics-$backend.txt" ||
        problem "$backend: the metrics listener did not answer"
    stop_server
    # The server logs at warn: anything in it is worth a look.
    if [[ -s $log_file ]]; then
        problem "$backend: the server logged $(wc -l <"$log_file") warn/error line(s), first: $(head -c 300 "$log_file")"
    fi
}

# Creates a fresh PostgreSQL database (dropped on exit) and sets PG_DB_URL to it. Not a
# function whose output is captured: the list of databases to drop must survive.
new_pg_database() {
    local name="folio_bench_$1_$$"
    psql_admin "CREATE DATABASE \"$name\""
    CREATED_DBS+=("$name")
    PG_DB_URL="$PG_SERVER/$name$PG_PARAMS"
}

bench_ceiling() {
    local url started ready_ms rss log_file="$RUN_DIR/server-ceiling.log"
    new_pg_database ceiling
    url=$PG_DB_URL
    log "ceiling: starting pg_ceiling"
    started=$(now_us)
    "$CEILING_BIN" "$url" "127.0.0.1:$CEILING_PORT" >"$log_file" 2>&1 &
    SERVER_PID=$!
    ready_ms=$(wait_ready "$CEILING_PORT" /item/ "$started" "$log_file")
    bench ceiling "GET /item/ (1-row select by PK)" 200 "http://127.0.0.1:$CEILING_PORT/item/"
    rss=$(peak_rss_mb "$SERVER_PID")
    BACKEND_ROWS+=("ceiling|$ready_ms|$rss")
    stop_server
}

# --- report ----------------------------------------------------------------------------------

summary() {
    local row commit
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git -C "$ROOT" status --porcelain -- crates 2>/dev/null) ]]; then commit="$commit (+ uncommitted changes)"; fi
    echo "## Folio benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Commit $commit; wrk ${DURATION} s per run, $CONNECTIONS connections, $THREADS threads;"
    echo "$(nproc) cores shared by wrk and the server; data: 1 user, $PADS pads, $NOTES notes."
    echo
    echo "| backend | endpoint | req/s | p50 ms | p99 ms | errors |"
    echo "|---|---|---:|---:|---:|---:|"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r b e r p50 p99 err <<<"$row"
        echo "| $b | \`$e\` | $r | $p50 | $p99 | $err |"
    done
    echo
    echo "| backend | start to ready ms | peak RSS MB |"
    echo "|---|---:|---:|"
    for row in "${BACKEND_ROWS[@]}"; do
        IFS='|' read -r b ms rss <<<"$row"
        echo "| $b | $ms | $rss |"
    done
    echo
    echo "Errors = wrk socket errors + unexpected statuses (>= 400 for GETs; anything but 3xx for the POST)."
    echo "Start to ready: from spawning the process to the first 200 of its health URL (SQLite migrates"
    echo "a fresh database in that time; PostgreSQL was migrated before by \`folio migrate\`)."
    echo "The ceiling is crates/folio-web/examples/pg_ceiling.rs: axum + a sqlx PgPool of 4 (Folio's"
    echo "default pool size), one select by primary key per request, no middleware."
    memory_vs_redis
    if [[ ${#PROBLEMS[@]} -gt 0 ]]; then
        echo
        echo "Problems seen:"
        for row in "${PROBLEMS[@]}"; do echo "- $row"; done
    fi
}

# The postgres and postgres-redis rows side by side, when both ran.
memory_vs_redis() {
    local row b e r mem
    declare -A memory=()
    for row in "${ROWS[@]}"; do
        IFS='|' read -r b e r _ <<<"$row"
        if [[ $b == postgres ]]; then memory[$e]=$r; fi
    done
    local header=0
    for row in "${ROWS[@]}"; do
        IFS='|' read -r b e r _ <<<"$row"
        [[ $b == postgres-redis && -n ${memory[$e]:-} ]] || continue
        if (( header == 0 )); then
            echo
            echo "PostgreSQL, sessions in memory (FOLIO_CACHE_URL=memory://) vs in Redis:"
            echo
            echo "| endpoint | memory:// req/s | redis:// req/s | redis / memory |"
            echo "|---|---:|---:|---:|"
            header=1
        fi
        mem=${memory[$e]}
        echo "| \`$e\` | $mem | $r | $(awk -v a="$r" -v b="$mem" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }') |"
    done
}

main() {
    ensure_tools
    build
    rm -rf "$RUN_DIR"
    mkdir -p "$RUN_DIR"
    for target in "${TARGETS[@]}"; do
        case $target in
            sqlite) bench_folio sqlite "sqlite://$WORK/folio.db?mode=rwc" ;;
            postgres) new_pg_database app; bench_folio postgres "$PG_DB_URL" ;;
            postgres-redis) new_pg_database redis; bench_folio postgres-redis "$PG_DB_URL" ;;
            ceiling) bench_ceiling ;;
        esac
    done
    log "summary"
    summary | tee "$RESULTS_DIR/latest.md"
}

main
