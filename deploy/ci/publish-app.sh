#!/usr/bin/env bash
# Publishes the browser app's build (web/dist, built once by the pipeline's build job) to its
# bucket, where CloudFront serves it at /app/* (modules/edge). Run by
# .github/workflows/deploy-environment.yml after the backend deploy passed its smoke tests, with
# AWS credentials (OIDC) set up; by hand with the same variables (deploy/runbooks/deploy.md).
#   1. the hashed assets, each cached for a year (a new build has new names);
#   2. the build's other top-level files, revalidated;
#   3. index.html last, revalidated: until it is replaced, browsers keep loading the previous
#      build, whose assets are still there (nothing is ever deleted);
#   4. CloudFront's cached index.html is invalidated, so the new one is served at once.
set -euo pipefail
: "${APP_DIST:?the build, e.g. web/dist}" "${APP_BUCKET:?}" "${DISTRIBUTION_ID:?}"
[ -f "$APP_DIST/index.html" ] || { echo "no index.html in $APP_DIST: build the app first (npm run build)" >&2; exit 1; }

target="s3://$APP_BUCKET/app"
immutable="public, max-age=31536000, immutable"
revalidate="no-cache"

log() { printf '\n== %s\n' "$*"; }

log "assets -> $target/assets/ ($immutable)"
aws s3 sync "$APP_DIST/assets" "$target/assets" --cache-control "$immutable" --no-progress --only-show-errors

log "other files -> $target/ ($revalidate)"
aws s3 sync "$APP_DIST" "$target" --exclude "assets/*" --exclude "index.html" \
  --cache-control "$revalidate" --no-progress --only-show-errors

log "index.html -> $target/index.html ($revalidate)"
aws s3 cp "$APP_DIST/index.html" "$target/index.html" \
  --cache-control "$revalidate" --content-type "text/html; charset=utf-8" --only-show-errors

log "invalidate /app/index.html on $DISTRIBUTION_ID"
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths "/app/index.html" \
  --query Invalidation.Id --output text
