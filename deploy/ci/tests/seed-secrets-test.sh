#!/usr/bin/env bash
# deploy/ci/seed-secrets.sh against a stubbed aws: a secret without a value gets 128 hex
# characters through stdin (never argv), one with a value is left alone, an AWS error fails.
# Run by deploy/ci/platform-checks.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cat > "$work/bin/aws" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
echo "aws $*" >> "$STUB_STATE/calls"
case "$2" in
  list-secret-version-ids) [ "$STUB_FAIL" = 1 ] && { echo "AccessDenied" >&2; exit 254; }; echo "$STUB_CURRENT" ;;
  put-secret-value) cat > "$STUB_STATE/value"; echo v-1 ;;
  *) echo "unexpected: aws $*" >&2; exit 2 ;;
esac
STUB
chmod +x "$work/bin/aws"
fail() { echo "seed-secrets test FAILED: $*" >&2; exit 1; }

run() { # current-version-count fail-flag -> status; calls and value in $STUB_STATE
  export STUB_STATE="$work/state" STUB_CURRENT=$1 STUB_FAIL=$2
  rm -rf "$STUB_STATE" && mkdir -p "$STUB_STATE" && : > "$STUB_STATE/calls"
  PATH="$work/bin:$PATH" SECRET_KEY_SECRET=arn:aws:secretsmanager:eu-central-1:1:secret:folio-dev/secret-key-Ab12 \
    "$here/../seed-secrets.sh" > "$STUB_STATE/out" 2>&1
}

run 0 0 || fail "first deploy: exit $?"
value=$(cat "$work/state/value")
[[ "$value" =~ ^[0-9a-f]{128}$ ]] || fail "first deploy: the value is not 128 hex characters: ${#value} characters"
grep -q -- "--secret-string file:///dev/stdin" "$work/state/calls" || fail "the value must come through stdin"
grep -q "$value" "$work/state/calls" "$work/state/out" && fail "the value appears in a command line or the output"
echo "ok: a secret without a value gets 128 random hex characters, through stdin, never printed"

run 1 0 || fail "later deploy: exit $?"
if [ -e "$work/state/value" ] || grep -q put-secret-value "$work/state/calls"; then
  fail "a secret with a value was overwritten"
fi
echo "ok: a secret with a value is left alone"

if run 0 1; then fail "an AWS error must fail the step"; fi
grep -q put-secret-value "$work/state/calls" && fail "nothing is written after an AWS error"
echo "ok: an AWS error fails the step and writes nothing"
