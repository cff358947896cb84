#!/usr/bin/env bash
# Zero-downtime deploys, measured under load, on the local production-like stack
# (deploy/local/stack.sh). While deploy/local/traffic.py runs signed-in and anonymous traffic
# (reads and writes) through haproxy, two deploys happen:
#
#   1. rolling restart: web1, then web2, each SIGTERMed (it drains: /readyz answers 503 and
#      every response closes its connection for FOLIO_DRAIN_SECS, so haproxy takes it out of
#      rotation; then it stops accepting and finishes what is in flight), checked to exit 0,
#      started again and waited for until haproxy has it back in rotation;
#   2. blue/green: the new release's `folio migrate` first (its additive migrations, applied
#      while blue serves), then the green pair (web3, web4) started with the new binary and
#      enabled in haproxy; once both are in rotation, blue (web1, web2) is set to drain in
#      haproxy (no new requests), SIGTERMed, and checked to exit 0; then the worker is
#      SIGTERMed and started again on the new binary.
#
# Then the traffic stops and the figures are printed: requests sent, failed (any 5xx, reset,
# refused or timeout), and sessions that had to sign in again. Exits 1 unless both are 0.
#
#   deploy/local/deploy-drill.sh                  start a stack, run both deploys, stop it
#   DRILL_GREEN_BIN=path deploy/local/deploy-drill.sh   the new release (default: STACK_BIN, the
#                                                 same build: then its migrate applies nothing)
#   DRILL_SETTLE_SECS=5                           traffic alone before, between and after steps
# The stack's settings (STACK_BIN, STACK_DIR, ports) are described in deploy/local/stack.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

export STACK_DIR="${STACK_DIR:-$root/target/local-stack}"
export STACK_TOOLS_DIR="${STACK_TOOLS_DIR:-$root/target/local-tools}"
export STACK_BIN="${STACK_BIN:-$root/target/release/folio}"
GREEN_BIN=${DRILL_GREEN_BIN:-$STACK_BIN}
SETTLE=${DRILL_SETTLE_SECS:-5}
stack=deploy/local/stack.sh
report="$STACK_DIR/drill-traffic.json"
traffic_pid=""

say() { printf '[drill] %s\n' "$*"; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$traffic_pid" ]; then kill "$traffic_pid" 2>/dev/null || true; wait "$traffic_pid" 2>/dev/null || true; fi
  "$stack" stop >/dev/null 2>&1 || status=1
  exit "$status"
}

server_status() { # server_status NAME: haproxy's view of it (UP, DOWN, MAINT, DRAIN, ...)
  "$stack" proxy "show stat" | awk -F, -v name="$1" '$1 == "web" && $2 == name { print $18 }'
}

server_sessions() { # server_sessions NAME: connections haproxy has open to it now
  "$stack" proxy "show stat" | awk -F, -v name="$1" '$1 == "web" && $2 == name { print $5 }'
}

wait_for_status() { # wait_for_status NAME STATUS: up to 20 s
  local started=$SECONDS
  until [ "$(server_status "$1")" = "$2" ]; do
    [ $((SECONDS - started)) -lt 20 ] || { say "haproxy: $1 is $(server_status "$1"), not $2, after 20 s"; return 1; }
    sleep 0.2
  done
  say "haproxy: $1 is $2 (after $((SECONDS - started)) s)"
}

restart_in_place() { # restart_in_place NAME: the rolling restart of one instance
  local started=$SECONDS
  say "rolling: SIGTERM $1 (it drains for ${STACK_DRAIN_SECS}s, then stops accepting)"
  "$stack" end "$1"
  "$stack" run "$1" "$STACK_BIN"
  wait_for_status "$1" UP
  say "rolling: $1 restarted and back in rotation in $((SECONDS - started)) s"
}

trap cleanup EXIT
trap 'exit 130' INT TERM

"$stack" start
# shellcheck source=/dev/null  # written by stack.sh start
source <("$stack" env)
say "blue: $("$STACK_BIN" --version) ($STACK_BIN); green: $("$GREEN_BIN" --version) ($GREEN_BIN)"

"$STACK_TOOLS_DIR/venv/bin/python" deploy/local/traffic.py --report "$report" &
traffic_pid=$!
sleep "$SETTLE"

say "== 1. rolling restart of web1 and web2"
rolling_started=$SECONDS
restart_in_place web1
sleep "$SETTLE"
restart_in_place web2
say "rolling restart done in $((SECONDS - rolling_started)) s"
sleep "$SETTLE"

say "== 2. blue/green: blue web1+web2 ($STACK_BIN) -> green web3+web4 ($GREEN_BIN)"
switch_started=$SECONDS
"$stack" migrate "$GREEN_BIN"
"$stack" run web3 "$GREEN_BIN"
"$stack" run web4 "$GREEN_BIN"
"$stack" proxy "enable server web/web3" >/dev/null
"$stack" proxy "enable server web/web4" >/dev/null
wait_for_status web3 UP
wait_for_status web4 UP
say "green in rotation beside blue; draining blue in haproxy"
"$stack" proxy "set server web/web1 state drain" >/dev/null
"$stack" proxy "set server web/web2 state drain" >/dev/null
drain_started=$SECONDS
until [ "$(server_sessions web1)" = 0 ] && [ "$(server_sessions web2)" = 0 ]; do
  [ $((SECONDS - drain_started)) -lt 30 ] || { say "blue still has connections after 30 s"; exit 1; }
  sleep 0.2
done
say "blue has no connections left (after $((SECONDS - drain_started)) s): stopping it"
"$stack" end web1
"$stack" end web2
"$stack" proxy "disable server web/web1" >/dev/null
"$stack" proxy "disable server web/web2" >/dev/null
say "the worker: SIGTERM (its jobs finish or go back to the queue), started again on green"
"$stack" end worker
"$stack" run worker "$GREEN_BIN"
say "blue/green switch done in $((SECONDS - switch_started)) s"
sleep "$SETTLE"

kill -TERM "$traffic_pid"
wait "$traffic_pid"
traffic_pid=""

read -r sent failed signed_out writes < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["sent"], r["failed"], r["signed_out"], r["acknowledged_writes"])' "$report")
say "requests sent: $sent; failed (5xx, reset, refused, timeout): $failed; signed out: $signed_out; notes written: $writes"
# What haproxy did behind the scenes: connections retried, and requests sent to another
# instance after a refused connection (safe: nothing had been sent). Zero means the draining
# alone kept every request off the stopping instances.
say "haproxy: $("$stack" proxy "show stat" | awk -F, '$1 == "web" && $2 == "BACKEND" { printf "%d connection retries, %d redispatches", $16, $17 }')"
say "(every failure, if any, is in $report)"
if [ "$failed" -ne 0 ] || [ "$signed_out" -ne 0 ]; then
  say "FAILED: the deploys were not invisible"
  exit 1
fi
say "ok: two deploys under load, nothing failed, nobody signed out"
