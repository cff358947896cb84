#!/usr/bin/env bash
# deploy/ci/publish-app.sh against a stubbed aws: the calls, their order (index.html after the
# assets, then the invalidation) and their cache headers, and the refusal of an unbuilt app.
# Run by deploy/ci/platform-checks.sh; by hand: deploy/ci/tests/publish-app-test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
publish="$here/../publish-app.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/dist/assets"

cat > "$work/bin/aws" <<'STUB'
#!/usr/bin/env bash
echo "aws $*" >> "$STUB_CALLS"
if [ "$1 $2" = "cloudfront create-invalidation" ]; then echo I2INVALIDATION; fi
STUB
chmod +x "$work/bin/aws"

fail() { echo "FAIL: $*" >&2; exit 1; }
run() { PATH="$work/bin:$PATH" STUB_CALLS="$work/calls" APP_BUCKET=folio-dev-app-1 DISTRIBUTION_ID=E2DIST "$@"; }

# An unbuilt app is refused before any call.
: > "$work/calls"
if run env APP_DIST="$work/dist" "$publish" >/dev/null 2>&1; then fail "published without an index.html"; fi
[ ! -s "$work/calls" ] || fail "called aws without a build"

echo '<!doctype html>' > "$work/dist/index.html"
echo 'x' > "$work/dist/assets/index-abc.js"
: > "$work/calls"
run env APP_DIST="$work/dist" "$publish" > "$work/out" || fail "publish failed: $(cat "$work/out")"
mapfile -t calls < "$work/calls"
[ "${#calls[@]}" -eq 4 ] || fail "expected 4 calls, got: ${calls[*]}"
[[ ${calls[0]} == "aws s3 sync $work/dist/assets s3://folio-dev-app-1/app/assets --cache-control public, max-age=31536000, immutable"* ]] \
  || fail "assets first, immutable: ${calls[0]}"
[[ ${calls[1]} == *"--exclude assets/* --exclude index.html --cache-control no-cache"* ]] || fail "other files revalidated: ${calls[1]}"
[[ ${calls[2]} == "aws s3 cp $work/dist/index.html s3://folio-dev-app-1/app/index.html --cache-control no-cache"* ]] \
  || fail "index.html third, revalidated: ${calls[2]}"
[[ ${calls[3]} == "aws cloudfront create-invalidation --distribution-id E2DIST --paths /app/index.html"* ]] \
  || fail "then the invalidation: ${calls[3]}"
grep -q I2INVALIDATION "$work/out" || fail "the invalidation's id is printed"
if grep -q "delete\|rm " "$work/calls"; then fail "nothing is ever deleted"; fi
echo "publish-app.sh: 2 scenarios passed"
