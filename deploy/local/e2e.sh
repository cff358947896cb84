#!/usr/bin/env bash
# End-to-end test of the release binary as it is deployed: builds it (cargo reuses target/),
# then, once per mail mode (a pass: first STACK_MAIL=smtp, then STACK_MAIL=ses, the SES v2 API),
# starts the production-like stack (deploy/local/stack.sh: TLS proxy, 2 web, worker,
# PostgreSQL with a new database, the mail backend, S3), drives the product over HTTPS like a
# person (deploy/local/driver.py: steps 1-13), then SIGTERMs every process (step 14) and checks
# each folio process exits 0. Prints every step; on failure says which pass and step, and shows
# the end of each process's log; always stops what it started. See deploy/local/README.md.
#
#   deploy/local/e2e.sh                 build, then the whole test (about half a minute after the
#                                       build once the tools are installed; the first run installs
#                                       s3s-fs and the Python tools, ~3 min)
#   E2E_BUILD=0 deploy/local/e2e.sh     use target/release/folio as it is
#   E2E_MAIL=ses deploy/local/e2e.sh    only some passes (mail modes, space-separated; default "smtp ses")
# The stack's settings (STACK_DIR, ports, ...) are described in deploy/local/stack.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

export STACK_DIR="${STACK_DIR:-$root/target/local-stack}"
export STACK_TOOLS_DIR="${STACK_TOOLS_DIR:-$root/target/local-tools}"
export STACK_BIN="${STACK_BIN:-$root/target/release/folio}"
stack=deploy/local/stack.sh
read -r -a mail_modes <<<"${E2E_MAIL:-smtp ses}"
[ "${#mail_modes[@]}" -gt 0 ] || { echo "E2E_MAIL names no mail mode" >&2; exit 2; }

phase=""
phase_started=$SECONDS
timings=()
stack_started=0
stack_ready=0
driver_pid=""

begin() { # begin TITLE: a new phase
  phase=$1
  phase_started=$SECONDS
  printf '\n======== %s\n' "$phase"
}

done_phase() {
  timings+=("$(printf '%4d s  %s' $((SECONDS - phase_started)) "$phase")")
}

finish() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$driver_pid" ]; then
    kill "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    printf '\n======== E2E FAILED in: %s (exit %d)\n' "$phase" "$status"
    # (A failed start has shown the log of the process that failed already.)
    if [ "$stack_started" -eq 1 ] && [ "$stack_ready" -eq 1 ]; then
      echo "The end of each process's log (health checks left out; all of them in $STACK_DIR/logs/):"
      "$stack" logs 30 || true
    fi
  fi
  if [ "$stack_started" -eq 1 ]; then
    printf '\n======== Cleanup: %s stop\n' "$stack"
    "$stack" stop || true
  fi
  # Nothing of the stack may be left running.
  local left=()
  for f in "$STACK_DIR"/run/*.pid; do
    [ -e "$f" ] || continue
    if kill -0 "$(cat "$f")" 2>/dev/null; then left+=("$(basename "$f" .pid)"); fi
  done
  if [ "${#left[@]}" -gt 0 ]; then
    echo "E2E: processes still running after cleanup: ${left[*]} (see $STACK_DIR/run/)"
    status=1
  fi
  if [ "${#timings[@]}" -gt 0 ]; then
    printf '\n======== Timings\n'
    printf '%s\n' "${timings[@]}"
  fi
  if [ "$status" -eq 0 ]; then
    printf '\nE2E PASSED: the release binary, as deployed, did everything above (mail: %s).\n' "${mail_modes[*]}"
  else
    printf '\nE2E FAILED (exit %d) in: %s\n' "$status" "$phase"
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${E2E_BUILD:-1}" = 1 ]; then
  begin "Build: cargo build --release --features aws -p folio"
  cargo build --release --features aws -p folio
  done_phase
fi
[ -x "$STACK_BIN" ] || { echo "no binary at $STACK_BIN" >&2; exit 1; }
echo "binary: $STACK_BIN ($("$STACK_BIN" --version), built $(date -r "$STACK_BIN" -u +%Y-%m-%dT%H:%M:%SZ))"

begin "Tools: $stack install (haproxy, aiosmtpd, Pillow, moto, s3s-fs; kept in $(basename "$STACK_TOOLS_DIR")/)"
"$stack" install
done_phase

pass=0
for mode in "${mail_modes[@]}"; do
  pass=$((pass + 1))
  export STACK_MAIL=$mode
  name="Pass $pass/${#mail_modes[@]} (STACK_MAIL=$mode)"
  printf '\n################ %s: a new stack and database, every step\n' "$name"

  begin "$name: $stack start"
  stack_started=1
  stack_ready=0
  "$stack" start
  stack_ready=1
  done_phase

  begin "$name: deploy/local/driver.py (steps 1-13, over https://127.0.0.1 through haproxy)"
  # In the background and waited for, so that a signal to this script is handled at once.
  "$STACK_TOOLS_DIR/venv/bin/python" deploy/local/driver.py &
  driver_pid=$!
  wait "$driver_pid"
  driver_pid=""
  done_phase

  begin "$name: $stack stop (step 14)"
  printf '==> 14. SIGTERM to every folio process: each exits 0 within FOLIO_DRAIN_SECS + FOLIO_SHUTDOWN_GRACE_SECS\n'
  stack_started=0 # stopping now; the cleanup has nothing left to do unless this fails
  if ! "$stack" stop; then
    stack_started=1
    echo "E2E STEP 14 FAILED (STACK_MAIL=$mode): a folio process did not exit with status 0 within the grace period"
    exit 1
  fi
  echo "    ok"
  done_phase
done
