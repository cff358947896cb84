#!/usr/bin/env bash
# Folio's production-like stack as separate processes on 127.0.0.1, with the release binary:
#
#   haproxy (TLS, round robin, X-Forwarded-For/-Proto, health checks on /readyz)
#     ├─ folio serve (web1, FOLIO_WORKER=off)      the "blue" pair, in rotation at start
#     ├─ folio serve (web2, FOLIO_WORKER=off)
#     └─ web3, web4: declared in haproxy but disabled and not started: the "green" pair a
#        blue/green deploy starts (deploy/local/deploy-drill.sh)
#   folio worker
#   PostgreSQL (the machine's server; a fresh database per start, dropped at stop)
#   mail, one of (STACK_MAIL): an SMTP server (aiosmtpd, saving every message into a maildir),
#     the SES v2 API (moto's server, recording every message), or none (the app writes files)
#   S3 API (s3s-fs, signatures checked)
#   Redis (a redis-server of the stack's own, with a password: sessions, cache invalidation
#     and rate limits shared by web1 and web2, FOLIO_CACHE_URL)
#
#   deploy/local/stack.sh start    install what is missing, start everything, wait until ready
#   deploy/local/stack.sh stop     stop every process (SIGTERM; haproxy SIGUSR1, s3s-fs SIGINT),
#                                  report how each exited, drop the database; fails if a folio
#                                  process did not exit 0 within FOLIO_SHUTDOWN_GRACE_SECS
#   deploy/local/stack.sh status   each process with its pid, and whether the site answers
#   deploy/local/stack.sh env      the stack's environment file (source it to run folio commands)
#   deploy/local/stack.sh logs [N] the last N lines of each process's log (health checks left out)
#   deploy/local/stack.sh run NAME [BIN]   start one process of a running stack again (or for the
#                                  first time: web3, web4), and wait until it is ready: a folio
#                                  process (web1..web4, worker) with BIN (default STACK_BIN), or
#                                  s3 or redis (same port, keys and data)
#   deploy/local/stack.sh migrate [BIN]  `BIN migrate` on the stack's database, as a deploy does
#   deploy/local/stack.sh end NAME   stop one process as `stop` does (its signal, then its exit
#                                  status); fails if a folio process did not exit 0 in time
#   deploy/local/stack.sh proxy CMD  one command to haproxy's runtime API (e.g. "show servers state")
#   deploy/local/stack.sh install  only install the tools (start does it too)
#
# State, logs and pids live under STACK_DIR (default target/local-stack/):
#   stack.env   every FOLIO_* and AWS_* variable the processes got, and the STACK_* settings
#   logs/       one file per process (web1, web2, worker, haproxy, smtp or ses, s3, redis, migrate)
#   run/        NAME.pid while a process runs, NAME.status (its exit status) once it ended
#   mail/new/   the messages the SMTP server received (or the app wrote), one file each; with
#               STACK_MAIL=ses they are in moto: GET http://127.0.0.1:$STACK_SES_PORT/moto-api/data.json
#   s3/         the S3 server's root: s3/<bucket>/<key>
#   tls/        the self-signed certificate haproxy serves (cert.pem is also the client's CA)
#   sns/        written by driver.py: its SNS stand-in's signing key and certificate
# `stack.sh stop` leaves them in place for reading; the next `start` clears them.
#
# Settings (environment): STACK_DIR, STACK_TOOLS_DIR (default target/local-tools/: s3s-fs and
# a Python venv are installed there, nothing globally), STACK_BIN (target/release/folio),
# STACK_MAIL (smtp; ses: the SES v2 API on moto's server; file: the app writes .eml files itself,
# no mail server), STACK_EMAIL_FROM, STACK_PG_URL, STACK_HTTPS_PORT, STACK_WEB1_PORT,
# STACK_WEB2_PORT, STACK_WEB3_PORT, STACK_WEB4_PORT, STACK_PROXY_ADMIN_PORT, STACK_SMTP_PORT, STACK_SES_PORT, STACK_SNS_PORT, STACK_S3_PORT,
# STACK_REDIS_PORT, STACK_GRACE_SECS, STACK_DRAIN_SECS, STACK_API_RATE_LIMIT, STACK_WRITE_RATE_LIMIT, STACK_LOG.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/deploy/local"

absolute() { mkdir -p "$1" && (cd "$1" && pwd); }
STACK_DIR=$(absolute "${STACK_DIR:-$root/target/local-stack}")
STACK_TOOLS_DIR=$(absolute "${STACK_TOOLS_DIR:-$root/target/local-tools}")
STACK_BIN=${STACK_BIN:-$root/target/release/folio}
# Where the app's email goes. The one place that chooses the mail backend: see mail_start.
STACK_MAIL=${STACK_MAIL:-smtp}
# FOLIO_EMAIL_FROM in every mode; its domain is the SES sending identity with STACK_MAIL=ses.
STACK_EMAIL_FROM=${STACK_EMAIL_FROM:-Folio <folio@folio.test>}
STACK_PG_URL=${STACK_PG_URL:-postgres://postgres@127.0.0.1:5432}
# Fixed ports in an unusual range, so the stack never meets a developer's own servers, and
# above the kernel's ephemeral range (32768-60999), so no outgoing connection holds one (once,
# RabbitMQ's link to epmd sat on 47404 and a drill's green web4 could not start).
STACK_HTTPS_PORT=${STACK_HTTPS_PORT:-61443}
STACK_WEB1_PORT=${STACK_WEB1_PORT:-61401}
STACK_WEB2_PORT=${STACK_WEB2_PORT:-61402}
STACK_WEB3_PORT=${STACK_WEB3_PORT:-61403}
STACK_WEB4_PORT=${STACK_WEB4_PORT:-61404}
# haproxy's runtime API (admin level, loopback only): how a deploy enables and drains servers.
STACK_PROXY_ADMIN_PORT=${STACK_PROXY_ADMIN_PORT:-61490}
STACK_SMTP_PORT=${STACK_SMTP_PORT:-61425}
STACK_SES_PORT=${STACK_SES_PORT:-61446}
# Not a stack process: the test's SNS stand-in (driver.py) serves its signing certificate here;
# the app may fetch SNS certificates from this host only (FOLIO_SNS_CERT_HOST).
STACK_SNS_PORT=${STACK_SNS_PORT:-61480}
STACK_S3_PORT=${STACK_S3_PORT:-61414}
STACK_REDIS_PORT=${STACK_REDIS_PORT:-61479}
# FOLIO_SHUTDOWN_GRACE_SECS: small, so a stop is quick; folio must exit within it.
STACK_GRACE_SECS=${STACK_GRACE_SECS:-5}
# FOLIO_DRAIN_SECS: longer than haproxy takes to see a failing /readyz (2 checks 1 s apart),
# so a stopping instance is out of rotation before its listener closes.
STACK_DRAIN_SECS=${STACK_DRAIN_SECS:-4}
# Request lines come from tower_http at debug level.
STACK_LOG=${STACK_LOG:-info,tower_http=debug}
# Requests a minute per API token (FOLIO_API_RATE_LIMIT): production's default unless a run that
# sends thousands on purpose (the API contract run) raises it.
STACK_API_RATE_LIMIT=${STACK_API_RATE_LIMIT:-600}
# Note and pad writes a minute per account (FOLIO_WRITE_RATE_LIMIT, 120 in production): the
# drills' and load tests' synthetic people write several times a second each, far beyond a
# person, so the stack lifts it; its own test is tests/app/quotas.rs.
STACK_WRITE_RATE_LIMIT=${STACK_WRITE_RATE_LIMIT:-1000000}
STACK_BUCKET=folio-media
# The SES side: the configuration set the app sends with, and the SNS topic SES would publish
# bounces and complaints to (the only topic /hooks/ses accepts).
STACK_SES_REGION=us-east-1
STACK_SES_CONFIGURATION_SET=folio-local
STACK_SES_TOPIC_ARN=arn:aws:sns:$STACK_SES_REGION:123456789012:folio-local-ses-events

S3S_FS_VERSION=0.14.1      # the version the workspace pins as a library (newer ones need a newer rustc)
# moto: the version .ci/run's cargo tests of the SES transport run against.
# schemathesis: the API contract run (deploy/local/api-contract.sh).
PY_TOOLS=(aiosmtpd==1.4.6 pillow==13.0.0 'moto[server]==5.2.1' schemathesis==4.32.5)

logs="$STACK_DIR/logs"
run="$STACK_DIR/run"
envfile="$STACK_DIR/stack.env"
venv="$STACK_TOOLS_DIR/venv"
s3s_fs="$STACK_TOOLS_DIR/bin/s3s-fs"
# The folio processes: each must exit 0 within the grace period after SIGTERM.
app_procs=(web1 web2 web3 web4 worker)
# Stop order: traffic first, then the app, then what it talks to.
stop_order=(haproxy web1 web2 web3 web4 worker smtp ses s3 redis)
# The signal each process takes as "finish and exit 0": haproxy's graceful stop is SIGUSR1
# (SIGTERM is its hard stop), s3s-fs only listens for Ctrl-C. Everything else (moto's server
# too: it exits 0 on SIGTERM or SIGINT): SIGTERM.
stop_signal() {
  case "$1" in
    haproxy) echo USR1 ;;
    s3) echo INT ;;
    *) echo TERM ;;
  esac
}

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# --- processes ------------------------------------------------------------------------------

pid_of() { cat "$run/$1.pid" 2>/dev/null || true; }

alive() { # alive NAME: its process runs (and is the one we started, not a reused pid)
  local pid program
  pid=$(pid_of "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  program=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | head -n1)
  # redis-server rewrites its title ("redis-server 127.0.0.1:61479"): compare the program only.
  [ "${program%% *}" = "$(cat "$run/$1.cmd")" ]
}

launch() { # launch NAME COMMAND...: in the background, output to logs/NAME.log
  local name=$1
  shift
  rm -f "$run/$name.pid" "$run/$name.status"
  printf '%s' "$1" >"$run/$name.cmd"
  # A small supervisor subshell keeps the process as its child, so its exit status is known
  # (run/NAME.status) even though this script has long returned when it ends.
  (
    "$@" </dev/null >>"$logs/$name.log" 2>&1 &
    pid=$!
    echo "$pid" >"$run/$name.pid.tmp" && mv "$run/$name.pid.tmp" "$run/$name.pid"
    status=0
    wait "$pid" || status=$?
    echo "$status" >"$run/$name.status"
  ) </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    [ -s "$run/$name.pid" ] && { say "$name: started, pid $(pid_of "$name"), log $logs/$name.log"; return 0; }
    sleep 0.05
  done
  die "$name: did not start"
}

tail_log() { # tail_log NAME: the end of its log, without the load balancer's health checks
  [ -f "$logs/$1.log" ] || return 0
  printf -- '----- %s (last lines of %s)\n' "$1" "$logs/$1.log"
  grep -v '"path":"/readyz"' "$logs/$1.log" | tail -n "${2:-25}" || true
}

wait_until() { # wait_until NAME SECONDS COMMAND...: until COMMAND succeeds while NAME runs
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  while ! "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail_log "$name" 40
      die "$name exited with status $(cat "$run/$name.status" 2>/dev/null || echo '?') while starting"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { tail_log "$name" 40; die "$name: not ready after ${seconds}s"; }
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- installation (idempotent; everything under STACK_TOOLS_DIR or from Debian) -------------

install_tools() {
  local missing=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3 python3-venv)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing from Debian: ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  local stamp="$venv/.installed"
  if [ "$(cat "$stamp" 2>/dev/null)" != "${PY_TOOLS[*]}" ]; then
    say "installing into $venv: ${PY_TOOLS[*]}"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
    printf '%s' "${PY_TOOLS[*]}" >"$stamp"
  fi
  if [ "$("$s3s_fs" --version 2>/dev/null)" != "s3s-fs $S3S_FS_VERSION" ]; then
    say "installing s3s-fs $S3S_FS_VERSION into $STACK_TOOLS_DIR (cargo install, a few minutes)"
    (cd "$root" && cargo install --quiet --locked s3s-fs --version "=$S3S_FS_VERSION" \
      --features binary --root "$STACK_TOOLS_DIR")
  fi
}

tools_line() {
  say "tools: $(haproxy -v | head -n1 | cut -d' ' -f1-3), $("$s3s_fs" --version)," \
    "aiosmtpd $("$venv/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)')," \
    "moto $("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
}

# --- the parts --------------------------------------------------------------------------------

postgres_start() {
  if ! pg_isready -q -d "$STACK_PG_URL/postgres"; then
    say "PostgreSQL is down: starting the machine's cluster"
    pg_ctlcluster --skip-systemctl-redirect \
      "$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n1)" main start || true
    for _ in $(seq 1 60); do pg_isready -q -d "$STACK_PG_URL/postgres" && break; sleep 0.5; done
  fi
  psql "$STACK_PG_URL/postgres" -qAtc 'select 1' >/dev/null || die "PostgreSQL at $STACK_PG_URL is not reachable"
  local db
  db="folio_stack_$(date +%Y%m%d%H%M%S)_$$"
  psql "$STACK_PG_URL/postgres" -qAtc "create database \"$db\"" >/dev/null
  echo "$db" >"$run/database"
  say "PostgreSQL $(psql "$STACK_PG_URL/postgres" -qAtc 'show server_version'): created database $db"
}

postgres_drop() {
  [ -f "$run/database" ] || return 0
  local db
  db=$(cat "$run/database")
  if psql "$STACK_PG_URL/postgres" -qAtc "drop database if exists \"$db\" with (force)" >/dev/null \
    && psql "$STACK_PG_URL/postgres" -qAtc "drop role if exists \"$(app_role "$db")\"" >/dev/null; then
    say "dropped database $db and role $(app_role "$db")"
    rm -f "$run/database"
  else
    say "could not drop database $db (PostgreSQL down?)"
  fi
}

# The mail backend, in one place: start its server, set email_url (FOLIO_EMAIL_URL) and, if
# the app needs more to reach it, mail_env (NAME VALUE pairs added to stack.env).
# deploy/local/driver.py reads the mail back in one place (class Mailbox) for the same modes.
mail_env=()
mail_start() {
  case "$STACK_MAIL" in
    smtp)
      mkdir -p "$STACK_DIR/mail"
      launch smtp "$venv/bin/python" "$here/smtp_server.py" --port "$STACK_SMTP_PORT" --maildir "$STACK_DIR/mail"
      wait_until smtp 20 port_open "$STACK_SMTP_PORT"
      email_url="smtp://127.0.0.1:$STACK_SMTP_PORT"
      ;;
    ses) # the SES v2 API (SendEmail, raw content) as moto emulates it; it records each message
      # `python -m moto.server` is moto_server from the venv (run/ses.cmd must name the
      # process's own executable, which a pyenv shim or a script's shebang would hide).
      launch ses "$venv/bin/python" -m moto.server -H 127.0.0.1 -p "$STACK_SES_PORT"
      wait_until ses 30 curl -fsS --noproxy '*' -o /dev/null "http://127.0.0.1:$STACK_SES_PORT/moto-api/data.json"
      # What the deployment's Terraform sets up: the verified domain and the configuration set.
      local domain=${STACK_EMAIL_FROM##*@}
      domain=${domain%%>*}
      ses_api identities "{\"EmailIdentity\":\"$domain\"}"
      ses_api configuration-sets "{\"ConfigurationSetName\":\"$STACK_SES_CONFIGURATION_SET\"}"
      say "SES (moto): identity $domain, configuration set $STACK_SES_CONFIGURATION_SET"
      email_url="ses://$STACK_SES_REGION?configuration_set=$STACK_SES_CONFIGURATION_SET&endpoint=http://127.0.0.1:$STACK_SES_PORT"
      ;;
    file) # the embedded default's transport (no mail server): the worker writes .eml files
      mkdir -p "$STACK_DIR/mail/new"
      email_url="file://$STACK_DIR/mail/new"
      ;;
    *) die "STACK_MAIL=$STACK_MAIL: unknown mail backend (known: smtp, ses, file)" ;;
  esac
}

ses_api() { # ses_api RESOURCE JSON: POST /v2/email/RESOURCE to moto (it reads the service and
  # region from the credential scope and checks no signature)
  curl -fsS --noproxy '*' -o /dev/null -X POST "http://127.0.0.1:$STACK_SES_PORT/v2/email/$1" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=stack/20260101/$STACK_SES_REGION/ses/aws4_request, SignedHeaders=host, Signature=0" \
    -H 'Content-Type: application/json' -d "$2" || die "SES (moto): POST /v2/email/$1 failed"
}

s3_start() {
  # s3s-fs maps a bucket to a directory under its root.
  mkdir -p "$STACK_DIR/s3/$STACK_BUCKET"
  s3_access_key="stack-$(openssl rand -hex 6)"
  s3_secret_key=$(openssl rand -hex 20)
  s3_launch
}

s3_launch() { # the S3 server on s3/, with the keys in s3_access_key and s3_secret_key
  RUST_LOG=info launch s3 "$s3s_fs" --host 127.0.0.1 --port "$STACK_S3_PORT" \
    --access-key "$s3_access_key" --secret-key "$s3_secret_key" "$STACK_DIR/s3"
  wait_until s3 20 port_open "$STACK_S3_PORT"
}

tls_make() {
  mkdir -p "$STACK_DIR/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=Folio local stack" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$STACK_DIR/tls/key.pem" -out "$STACK_DIR/tls/cert.pem" 2>/dev/null
  cat "$STACK_DIR/tls/cert.pem" "$STACK_DIR/tls/key.pem" >"$STACK_DIR/tls/haproxy.pem"
  chmod 600 "$STACK_DIR/tls/key.pem" "$STACK_DIR/tls/haproxy.pem"
  say "TLS: self-signed certificate for 127.0.0.1 in $STACK_DIR/tls/cert.pem"
}

# As deployed: web and worker log in as the application role, which may read and write rows
# and nothing else; `folio migrate` logs in as the owner and (re)creates that role.
redis_start() { # the stack's own Redis, with a password (ElastiCache has AUTH), keeping nothing on disk
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
  redis_password=$(openssl rand -hex 24)
  # The password goes in a config file read at start, not on the command line (ps shows that).
  # No snapshots while it runs; a `SHUTDOWN SAVE` (a planned restart) leaves one in redis/.
  mkdir -p "$STACK_DIR/redis"
  (umask 077; printf 'requirepass %s\ndir %s\n' "$redis_password" "$STACK_DIR/redis" >"$run/redis.conf")
  redis_launch
}

redis_launch() { # Redis with run/redis.conf (loading redis/dump.rdb if a planned restart left one)
  launch redis redis-server "$run/redis.conf" --bind 127.0.0.1 --port "$STACK_REDIS_PORT" \
    --save "" --appendonly no --daemonize no
  wait_until redis 10 port_open "$STACK_REDIS_PORT"
}

app_role() { echo "${1}_app"; }
app_database_url() { # STACK_PG_URL with the app role as its user (and no password), database $1
  local server=${STACK_PG_URL#*://}
  echo "postgres://$(app_role "$1")@${server#*@}/$1"
}

write_env() { # the app's configuration, as the deployment gives it (task definition / secrets)
  local db
  db=$(cat "$run/database")
  (
    umask 077
    {
      echo "# Folio local stack, started $(date -u +%Y-%m-%dT%H:%M:%SZ). Source it to run folio against the stack."
      printf 'export %s=%q\n' \
        FOLIO_BASE_URL "https://127.0.0.1:$STACK_HTTPS_PORT" \
        FOLIO_DATABASE_URL "$(app_database_url "$db")" \
        FOLIO_SECRET_KEY "$(openssl rand -hex 64)" \
        FOLIO_EMAIL_URL "$email_url" \
        FOLIO_EMAIL_FROM "$STACK_EMAIL_FROM" \
        "${mail_env[@]}" \
        FOLIO_SES_TOPIC_ARN "$STACK_SES_TOPIC_ARN" \
        FOLIO_SNS_CERT_HOST "127.0.0.1:$STACK_SNS_PORT" \
        FOLIO_CACHE_URL "redis://:$redis_password@127.0.0.1:$STACK_REDIS_PORT" \
        FOLIO_STORAGE_URL "s3://$STACK_BUCKET/media?region=us-east-1&endpoint=http://127.0.0.1:$STACK_S3_PORT" \
        AWS_ACCESS_KEY_ID "$s3_access_key" \
        AWS_SECRET_ACCESS_KEY "$s3_secret_key" \
        AWS_EC2_METADATA_DISABLED true \
        FOLIO_TRUSTED_PROXY_HOPS 1 \
        FOLIO_SHUTDOWN_GRACE_SECS "$STACK_GRACE_SECS" \
        FOLIO_DRAIN_SECS "$STACK_DRAIN_SECS" \
        FOLIO_API_RATE_LIMIT "$STACK_API_RATE_LIMIT" \
        FOLIO_WRITE_RATE_LIMIT "$STACK_WRITE_RATE_LIMIT" \
        FOLIO_LOG_FORMAT json \
        FOLIO_LOG "$STACK_LOG" \
        STACK_DIR "$STACK_DIR" \
        STACK_PG_URL "$STACK_PG_URL" \
        STACK_BIN "$STACK_BIN" \
        STACK_MAIL "$STACK_MAIL" \
        STACK_CA_FILE "$STACK_DIR/tls/cert.pem" \
        STACK_S3_ROOT "$STACK_DIR/s3" \
        STACK_BUCKET "$STACK_BUCKET" \
        STACK_S3_PORT "$STACK_S3_PORT" \
        STACK_REDIS_PORT "$STACK_REDIS_PORT" \
        STACK_SES_PORT "$STACK_SES_PORT" \
        STACK_SNS_PORT "$STACK_SNS_PORT" \
        STACK_HTTPS_PORT "$STACK_HTTPS_PORT" \
        STACK_WEB_PORTS "$STACK_WEB1_PORT $STACK_WEB2_PORT" \
        STACK_GREEN_PORTS "$STACK_WEB3_PORT $STACK_WEB4_PORT" \
        STACK_PROXY_ADMIN_PORT "$STACK_PROXY_ADMIN_PORT" \
        STACK_DRAIN_SECS "$STACK_DRAIN_SECS" \
        STACK_GRACE_SECS "$STACK_GRACE_SECS"
    } >"$envfile"
  )
}

load_env() {
  # Only the stack's configuration reaches folio, never a FOLIO_* of the caller's shell.
  while read -r name; do unset "$name"; done < <(compgen -e | grep '^FOLIO_' || true)
  # shellcheck source=/dev/null  # written by write_env
  source "$envfile"
}

web_port() {
  case "$1" in
    web1) echo "$STACK_WEB1_PORT" ;;
    web2) echo "$STACK_WEB2_PORT" ;;
    web3) echo "$STACK_WEB3_PORT" ;;
    web4) echo "$STACK_WEB4_PORT" ;;
    *) die "$1: not a web instance (web1..web4)" ;;
  esac
}

run_app() { # run_app NAME BIN: start one folio process (web1..web4 or worker), wait until ready
  local name=$1 bin=$2
  if [ "$name" = worker ]; then
    launch worker "$bin" worker
    wait_until worker 30 grep -q 'job worker started' "$logs/worker.log"
    return
  fi
  local port
  port=$(web_port "$name")
  FOLIO_LISTEN="127.0.0.1:$port" FOLIO_WORKER=off launch "$name" "$bin" serve
  wait_until "$name" 30 curl -fsS --noproxy '*' "http://127.0.0.1:$port/readyz"
}

migrate_with() { # migrate_with BIN: `BIN migrate` as the database owner, a deploy step of its own
  local bin=$1 status=0 db
  say "folio migrate with $bin (a deploy step of its own, before any new process starts)"
  db=$(cat "$run/database")
  FOLIO_DATABASE_URL="$STACK_PG_URL/$db" FOLIO_DATABASE_APP_ROLE=$(app_role "$db") \
    "$bin" migrate </dev/null >"$run/migrate.out" 2>&1 || status=$?
  cat "$run/migrate.out" >>"$logs/migrate.log"
  echo "$status" >"$run/migrate.status"
  [ "$status" -eq 0 ] || { tail_log migrate 40; die "folio migrate exited with $status"; }
  say "migrate: $(grep -c '"message":"Applying migration' "$run/migrate.out" || true) migration(s) applied; web and worker log in as $(app_role "$db") (rows only)"
}

app_start() {
  load_env
  migrate_with "$STACK_BIN"
  run_app web1 "$STACK_BIN"
  run_app web2 "$STACK_BIN"
  run_app worker "$STACK_BIN"
}

haproxy_start() {
  cat >"$STACK_DIR/haproxy.cfg" <<EOF
# Generated by deploy/local/stack.sh: the load balancer in front of the web processes, as the
# ALB is in AWS: TLS ends here, requests go round robin to the instances that pass /readyz.
global
    log stdout format raw local0 info
    maxconn 2000
    ssl-default-bind-options ssl-min-ver TLSv1.2
    # The runtime API, as a deploy uses it: enable the new servers, drain the old ones.
    stats socket ipv4@127.0.0.1:$STACK_PROXY_ADMIN_PORT level admin

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # A connection an instance refused (it has just closed its listener, or is not up yet)
    # is retried, on another instance: nothing was sent, so even a POST is safe to resend.
    retries 3
    option redispatch 1

frontend https
    bind 127.0.0.1:$STACK_HTTPS_PORT ssl crt $STACK_DIR/tls/haproxy.pem alpn h2,http/1.1
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Port $STACK_HTTPS_PORT
    # The app's request id in each log line, to follow one request from here into the app's log.
    capture response header X-Request-Id len 40
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    # Out after 2 failed checks (an instance draining answers 503), back after 2 good ones.
    default-server check inter 1s fall 2 rise 2
    server web1 127.0.0.1:$STACK_WEB1_PORT
    server web2 127.0.0.1:$STACK_WEB2_PORT
    # The green pair of a blue/green deploy: enabled by the deploy once it is running.
    server web3 127.0.0.1:$STACK_WEB3_PORT disabled
    server web4 127.0.0.1:$STACK_WEB4_PORT disabled
EOF
  haproxy -c -q -f "$STACK_DIR/haproxy.cfg" || die "haproxy: invalid configuration $STACK_DIR/haproxy.cfg"
  # -db: stay in the foreground, under this script's supervision (no daemon, no pid file).
  launch haproxy haproxy -db -f "$STACK_DIR/haproxy.cfg"
  wait_until haproxy 20 curl -fsS --noproxy '*' --cacert "$STACK_DIR/tls/cert.pem" \
    "https://127.0.0.1:$STACK_HTTPS_PORT/readyz"
}

# --- commands ---------------------------------------------------------------------------------

any_alive() {
  local f
  for f in "$run"/*.pid; do
    [ -e "$f" ] || continue
    alive "$(basename "$f" .pid)" && return 0
  done
  return 1
}

start() {
  if [ -d "$run" ] && any_alive; then
    die "the stack is already running in $STACK_DIR (deploy/local/stack.sh stop)"
  fi
  local port
  for port in "$STACK_HTTPS_PORT" "$STACK_WEB1_PORT" "$STACK_WEB2_PORT" "$STACK_WEB3_PORT" "$STACK_WEB4_PORT" \
    "$STACK_PROXY_ADMIN_PORT" "$STACK_SMTP_PORT" "$STACK_SES_PORT" "$STACK_SNS_PORT" "$STACK_S3_PORT" \
    "$STACK_REDIS_PORT"; do
    if port_open "$port"; then die "port $port on 127.0.0.1 is in use (see the STACK_*_PORT settings)"; fi
  done
  install_tools
  [ -x "$STACK_BIN" ] || die "no binary at $STACK_BIN: cargo build --release --features aws -p folio"
  say "binary: $STACK_BIN ($("$STACK_BIN" --version))"
  postgres_drop # a database left behind by a stack that was not stopped
  rm -rf "${STACK_DIR:?}"/{logs,run,mail,s3,redis,tls,sns,stack.env,haproxy.cfg}
  mkdir -p "$logs" "$run"
  # From here on, a failure stops whatever already runs.
  trap 'status=$?; if [ "$status" -ne 0 ]; then say "start failed: stopping what runs"; stop || true; fi' EXIT
  postgres_start
  mail_start
  s3_start
  redis_start
  tls_make
  write_env
  app_start
  haproxy_start
  trap - EXIT
  say "ready: https://127.0.0.1:$STACK_HTTPS_PORT/ (CA: $STACK_DIR/tls/cert.pem; environment: $envfile)"
}

allowed_secs() { # allowed_secs NAME: how long a folio process may take to exit after SIGTERM
  case "$1" in
    web*) echo $((STACK_DRAIN_SECS + STACK_GRACE_SECS)) ;;
    *) echo "$STACK_GRACE_SECS" ;;
  esac
}

end_process() { # end_process NAME: stop it with its signal; fails if a folio process did not
  # exit 0 within its allowance
  local name=$1 pid status waited limit signal allowed
  [ -e "$run/$name.pid" ] || return 0
  pid=$(pid_of "$name")
  local is_app=0
  if [[ " ${app_procs[*]} " == *" $name "* ]]; then is_app=1; fi
  if ! alive "$name"; then
    status=$(cat "$run/$name.status" 2>/dev/null || echo '?')
    say "$name: had already exited (status $status)"
    rm -f "$run/$name.pid"
    return $((is_app))
  fi
  signal=$(stop_signal "$name")
  allowed=$(allowed_secs "$name")
  local signalled=$EPOCHREALTIME
  kill -"$signal" "$pid" 2>/dev/null || true
  limit=$(((allowed + 5) * 10))
  waited=0
  while alive "$name" && [ "$waited" -lt "$limit" ]; do sleep 0.1; waited=$((waited + 1)); done
  # Tenths of a second since the signal, by the clock (the loop's count runs slow).
  waited=$(awk -v from="$signalled" -v to="$EPOCHREALTIME" 'BEGIN { printf "%d", (to - from) * 10 }')
  rm -f "$run/$name.pid"
  if alive "$name"; then
    kill -KILL "$pid" 2>/dev/null || true
    say "$name (pid $pid): still running $((limit / 10))s after SIG$signal: killed"
    return 1
  fi
  for _ in $(seq 1 50); do [ -s "$run/$name.status" ] && break; sleep 0.02; done
  status=$(cat "$run/$name.status" 2>/dev/null || echo '?')
  say "$name (pid $pid): SIG$signal -> exited with status $status after $((waited / 10)).$((waited % 10))s"
  [ "$is_app" -eq 1 ] || return 0
  [ "$status" = 0 ] || return 1
  if [ "$waited" -gt $((allowed * 10)) ]; then
    say "$name: took longer than its ${allowed}s (FOLIO_DRAIN_SECS + FOLIO_SHUTDOWN_GRACE_SECS for web)"
    return 1
  fi
}

stop() { # in order; folio processes must exit 0 within their allowance
  local failed=0 name f
  [ -d "$run" ] || { say "nothing to stop in $STACK_DIR"; return 0; }
  local names=("${stop_order[@]}")
  for f in "$run"/*.pid; do # anything started that the order does not name
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    [[ " ${stop_order[*]} " == *" $name "* ]] || names+=("$name")
  done
  for name in "${names[@]}"; do
    end_process "$name" || failed=1
  done
  postgres_drop
  if [ "$failed" -ne 0 ]; then
    say "stopped, but a folio process did not exit cleanly (logs in $logs)"
    return 1
  fi
  say "stopped; logs in $logs"
}

proxy() { # proxy COMMAND: send one command to haproxy's runtime API, print its answer
  local answer
  answer=$(printf '%s\n' "$1" | timeout 5 bash -c \
    "exec 3<>/dev/tcp/127.0.0.1/$STACK_PROXY_ADMIN_PORT && cat >&3 && cat <&3") \
    || die "haproxy's runtime API on port $STACK_PROXY_ADMIN_PORT did not answer"
  printf '%s\n' "$answer"
}

status() {
  local name all=0
  for name in "${stop_order[@]}"; do
    [ -e "$run/$name.cmd" ] || continue # not part of this stack (e.g. smtp with STACK_MAIL=file)
    if [ -e "$run/$name.pid" ] && alive "$name"; then
      printf '%-8s running  pid %s\n' "$name" "$(pid_of "$name")"
    else
      printf '%-8s stopped%s\n' "$name" "$([ -e "$run/$name.status" ] && echo " (last exit status $(cat "$run/$name.status"))")"
      all=1
    fi
  done
  if curl -fsS --noproxy '*' --cacert "$STACK_DIR/tls/cert.pem" -o /dev/null \
    "https://127.0.0.1:$STACK_HTTPS_PORT/readyz" 2>/dev/null; then
    echo "site     https://127.0.0.1:$STACK_HTTPS_PORT/ ready"
  else
    echo "site     https://127.0.0.1:$STACK_HTTPS_PORT/ not answering"
    all=1
  fi
  return "$all"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) cat "$envfile" ;;
  install) install_tools && tools_line ;;
  logs) for name in migrate "${stop_order[@]}"; do tail_log "$name" "${2:-25}"; done ;;
  run)
    [ -n "${2:-}" ] || die "usage: $0 run NAME [BIN]"
    [ -f "$envfile" ] || die "no stack in $STACK_DIR (deploy/local/stack.sh start)"
    if alive "$2"; then die "$2 is already running"; fi
    load_env
    case "$2" in
      s3) s3_access_key=$AWS_ACCESS_KEY_ID s3_secret_key=$AWS_SECRET_ACCESS_KEY s3_launch ;;
      redis) redis_launch ;;
      *) run_app "$2" "${3:-$STACK_BIN}" ;;
    esac
    ;;
  migrate)
    [ -f "$envfile" ] || die "no stack in $STACK_DIR (deploy/local/stack.sh start)"
    load_env
    migrate_with "${2:-$STACK_BIN}"
    ;;
  end) end_process "${2:?usage: $0 end NAME}" ;;
  proxy) proxy "${2:?usage: $0 proxy COMMAND}" ;;
  *) echo "usage: $0 start|stop|status|env|logs [LINES]|install|run NAME [BIN]|migrate [BIN]|end NAME|proxy COMMAND" >&2; exit 2 ;;
esac
