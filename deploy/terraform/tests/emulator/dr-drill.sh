#!/usr/bin/env bash
# The disaster-recovery drill against the local AWS emulator (moto), the way
# deploy/runbooks/disaster-recovery.md runs it on AWS:
#   1. apply the primary (envs/dev + this directory's overrides, as run.sh does)
#   2. create data in it (database snapshot, media object, image in ECR, secret value)
#   3. copy to the DR region (copy-db-snapshot; ECR and Secrets Manager replicas)
#   4. apply envs/dr from the copied snapshot (+ dr/ overrides), taking the traffic
#   5. restore the media object into the DR bucket and point CloudFront's /media/* at it
#   6. smoke test the DR environment through the AWS APIs
#   7. destroy both (the DR composition first, as when failing back)
# and prints "step N <name>: X s" for each and the total. What the emulator cannot time (RDS
# restore, DNS, CloudFront, replication lag) is listed in the runbook, not here.
#
# It also does everything run.sh does for the primary (verify.py after the apply; every created
# resource destroyed), so platform-checks.sh runs this instead of applying dev twice; run.sh
# stays the quicker dev-only run.
#
# Needs: terraform with TF_CLI_CONFIG_FILE set up (platform-checks.sh does it) and a Python
# with moto[server] and boto3 as $PYTHON.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tf_root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
primary="$tf_root/envs/.dr-drill-primary"
dr="$tf_root/envs/.dr-drill-dr"
log_dir="${EMULATOR_LOG_DIR:-$(mktemp -d)}"
port="${EMULATOR_PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
endpoint="http://127.0.0.1:$port"
drill_state="$log_dir/drill-state.json"

# Credentials the emulator accepts; nothing here can reach AWS.
export AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
export MOTO_IAM_LOAD_MANAGED_POLICIES=true

moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$primary" "$dr"
}
trap cleanup EXIT

steps=()
step_name="" step_start=0 step_no=0 drill_start=$SECONDS
step() {
  step_end
  step_no=$((step_no + 1)) step_name=$1 step_start=$SECONDS
  printf -- '--- step %d %s\n' "$step_no" "$step_name"
}
step_end() {
  if [ -n "$step_name" ]; then
    steps+=("$(printf 'step %d %s: %d s' "$step_no" "$step_name" $((SECONDS - step_start)))")
    printf '%s\n' "${steps[-1]}"
  fi
  step_name=""
}

# apply DIR LOG [ARGS...]: bounded like run.sh's (a hung call would wait out provider timeouts).
apply() {
  local dir=$1 log=$2
  shift 2
  if ! (cd "$dir" && timeout 900 terraform apply -auto-approve -input=false -no-color -var "emulator_port=$port" "$@" >"$log" 2>&1); then
    grep -E 'Error:' -A8 "$log" | head -60
    echo "apply failed in $dir (log: $log)" >&2
    exit 1
  fi
  echo "apply: $(grep -c ': Creation complete after' "$log") resources created"
}
# destroy DIR LOG FORGOTTEN [ARGS...]: every resource the apply created is destroyed, except
# FORGOTTEN ones taken out of the state before.
destroy() {
  local dir=$1 log=$2 forgotten=$3
  shift 3
  if ! (cd "$dir" && timeout 900 terraform destroy -auto-approve -input=false -no-color -var "emulator_port=$port" "$@" >"$log" 2>&1); then
    grep -E 'Error:' -A8 "$log" | head -60
    echo "destroy failed in $dir (log: $log)" >&2
    exit 1
  fi
  local left created destroyed
  left=$(cd "$dir" && { terraform state list | grep -cvE '^(module\.[^.]+\.)*data\.' || true; })
  created=$(grep -c ': Creation complete after' "${log/destroy-/apply-}")
  destroyed=$(grep -c ': Destruction complete after' "$log")
  echo "destroy: $destroyed resources destroyed ($forgotten forgotten, $left left in state)"
  [ "$left" -eq 0 ] || { echo "resources left after destroy in $dir" >&2; exit 1; }
  [ $((destroyed + forgotten)) -eq "$created" ] || { echo "created $created but destroyed $destroyed + $forgotten forgotten in $dir" >&2; exit 1; }
}

rm -rf "$primary" "$dr" && mkdir -p "$primary" "$dr"
cp "$tf_root"/envs/dev/*.tf "$tf_root/envs/dev/terraform.tfvars" "$here"/*.tf "$primary"/
cp -r "$here/cache-stand-in" "$primary"/
cp "$tf_root"/envs/dr/*.tf "$here"/dr/*.tf "$here/dr/drill.tfvars" "$dr"/
cp -r "$here/cache-stand-in" "$dr"/
# The lock files the CI's serial init wrote, when there: an init without a lock entry replaces
# the plugin cache's link to the provider, and the validate and test runs beside this drill
# exec the provider through that link (a CI run failed with "fork/exec … no such file").
for pair in "dev:$primary" "dr:$dr"; do
  lock="$tf_root/envs/${pair%%:*}/.terraform.lock.hcl"
  [ ! -f "$lock" ] || cp "$lock" "${pair#*:}"/
done

"$python" "$here/moto_server.py" "$port" >"$log_dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "$endpoint/moto-api/" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$endpoint/moto-api/" >/dev/null || { cat "$log_dir/moto.log"; echo "moto did not start" >&2; exit 1; }
echo "moto $("$python" -c 'import moto; print(moto.__version__)') on $endpoint (logs: $log_dir)"
for d in "$primary" "$dr"; do
  (cd "$d" && terraform init -input=false -no-color >"$log_dir/init-$(basename "$d").log" 2>&1) || { cat "$log_dir/init-$(basename "$d").log"; exit 1; }
done

step "apply primary (envs/dev)"
apply "$primary" "$log_dir/apply-primary.log"
(cd "$primary" && terraform output -json >"$log_dir/primary-outputs.json")
step_end
# run.sh's read-back of the primary (not part of a drill's timing: printed without a step).
"$python" "$here/verify.py" "$endpoint" "$log_dir/primary-outputs.json"

step "create data (snapshot, media object, image, secret value)"
"$python" "$here/dr/drill.py" "$endpoint" "$drill_state" create "$log_dir/primary-outputs.json"

step "copy to the DR region (snapshot copy, ECR and secret replicas)"
"$python" "$here/dr/drill.py" "$endpoint" "$drill_state" copy

step "apply DR (envs/dr from the copied snapshot)"
copy_arn=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["copy_arn"])' "$drill_state")
distribution=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["distribution_id"]["value"])' "$log_dir/primary-outputs.json")
zone=$(AWS_DEFAULT_REGION=eu-central-1 "$python" -c 'import boto3, sys; print(boto3.client("route53", endpoint_url=sys.argv[1]).list_hosted_zones_by_name(DNSName="dev.folio.example.org")["HostedZones"][0]["Id"].split("/")[-1])' "$endpoint")
dr_vars=(-var-file=drill.tfvars -var "db_snapshot_identifier=$copy_arn" -var "image_tag=drill-1" -var "distribution_id=$distribution" -var "route53_zone_id=$zone")
apply "$dr" "$log_dir/apply-dr.log" "${dr_vars[@]}"
(cd "$dr" && terraform output -json >"$log_dir/dr-outputs.json" && terraform show -json >"$log_dir/dr-state.json")

step "restore media into the DR bucket, point /media/* at it"
"$python" "$here/dr/drill.py" "$endpoint" "$drill_state" restore-media "$log_dir/dr-outputs.json" "$distribution"

step "smoke test the DR environment"
"$python" "$here/dr/drill.py" "$endpoint" "$drill_state" smoke "$log_dir/dr-outputs.json" "$log_dir/dr-state.json"

step "destroy DR, then the primary"
# As when failing back (runbook): the primary owns origin.<domain> again, so the DR composition
# forgets its overwrite of the record instead of deleting the live name. moto cannot delete
# CodeDeploy applications or deployment groups (as in run.sh).
forgotten=(module.app.aws_codedeploy_deployment_group.web module.app.aws_codedeploy_app.this)
(cd "$dr" && terraform state rm -no-color 'aws_route53_record.origin[0]' "${forgotten[@]}" >/dev/null)
destroy "$dr" "$log_dir/destroy-dr.log" 3 "${dr_vars[@]}"
"$python" "$here/dr/drill.py" "$endpoint" "$drill_state" cleanup
(cd "$primary" && terraform state rm -no-color "${forgotten[@]}" >/dev/null)
echo "state rm before destroy (moto cannot delete them): ${forgotten[*]}"
destroy "$primary" "$log_dir/destroy-primary.log" 2
step_end

printf '\nDR drill on the emulator (moto %s):\n' "$("$python" -c 'import moto; print(moto.__version__)')"
printf '  %s\n' "${steps[@]}"
printf '  total: %d s\n' $((SECONDS - drill_start))
