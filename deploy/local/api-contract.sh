#!/usr/bin/env bash
# The JSON API's contract, checked by schemathesis against the stack as deployed: the binary
# under test as two web processes behind haproxy (TLS), PostgreSQL, Redis (sessions and the
# per-token rate limits), S3 (s3s-fs). deploy/local/api_contract.py signs two people up through
# the pages, makes each a read and write token in Settings, and runs schemathesis with every
# check (including the stateful phase, which follows the OpenAPI links from each create) on
# /api/openapi.json as the server serves it. Exits non-zero on any failure.
#
#   deploy/local/api-contract.sh            STACK_BIN (default target/release/folio)
#   API_CONTRACT_EXAMPLES=N                 examples per operation and phase (default 40)
#
# Its own STACK_DIR (target/api-contract-stack) so it never touches a stack you keep running;
# the same ports as the other stack scripts, so run one at a time. Reports (JUnit, and the
# schemathesis output) land in target/api-contract/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export STACK_DIR="${STACK_DIR:-$root/target/api-contract-stack}"
export STACK_TOOLS_DIR="${STACK_TOOLS_DIR:-$root/target/local-tools}"
# Thousands of requests a minute from one token on purpose: the limit itself has its own tests.
export STACK_API_RATE_LIMIT=1000000
export STACK_MAIL=file

stop_stack() { deploy/local/stack.sh stop >/dev/null 2>&1 || true; }
trap stop_stack EXIT
deploy/local/stack.sh start
"$STACK_TOOLS_DIR/venv/bin/python" deploy/local/api_contract.py "$root/target/api-contract"
