#!/usr/bin/env bash
# Gives the app's signing-key secret (folio-<env>/secret-key) a value if it has none: the first
# deploy after `terraform apply`. Terraform creates the secret but never its value, so the key is
# not in Terraform's state. Once a value exists this does nothing; rotation is
# runbooks/rotate-secrets.md. Run by the deploy workflow before deploy.sh.
#   SECRET_KEY_SECRET  ARN (or name) of the secret: terraform output secret_key_secret_arn
set -euo pipefail
: "${SECRET_KEY_SECRET:?set SECRET_KEY_SECRET to the ARN of folio-<env>/secret-key}"

# shellcheck disable=SC2016 # the backquotes are a JMESPath literal, not a shell expansion
current=$(aws secretsmanager list-secret-version-ids --secret-id "$SECRET_KEY_SECRET" \
  --query 'length(Versions[?contains(VersionStages, `AWSCURRENT`)])' --output text)
if [ "$current" != 0 ]; then
  echo "signing key: already set; left as it is"
  exit 0
fi
# 64 random bytes, hex (FOLIO_SECRET_KEY needs at least 64 bytes). The value goes from openssl
# to the AWS CLI through a pipe: never a command-line argument (visible to ps), never printed.
openssl rand -hex 64 | tr -d '\n' \
  | aws secretsmanager put-secret-value --secret-id "$SECRET_KEY_SECRET" \
      --secret-string file:///dev/stdin --query VersionId --output text >/dev/null
echo "signing key: a random value put in (first deploy)"
