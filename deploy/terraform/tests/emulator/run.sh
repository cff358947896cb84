#!/usr/bin/env bash
# Applies the dev environment to a local AWS emulator (moto), checks it, and destroys it.
#
# The scratch directory holds envs/dev's own .tf files and terraform.tfvars plus the files of
# this directory: emulator_override.tf (provider endpoints, local state, and the few stand-ins
# for what moto lacks, each explained there) and emulator.tf (the hosted zone). Production
# modules carry no emulator switch.
#
# Needs: terraform with TF_CLI_CONFIG_FILE set up (platform-checks.sh does it) and a Python
# with moto[server] and boto3 as $PYTHON. Prints "apply: N resources created" and
# "destroy: N resources destroyed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tf_root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
work="$tf_root/envs/.emulator"
log_dir="${EMULATOR_LOG_DIR:-$(mktemp -d)}"
port="${EMULATOR_PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
endpoint="http://127.0.0.1:$port"

# Credentials the emulator accepts; nothing here can reach AWS.
export AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
export MOTO_IAM_LOAD_MANAGED_POLICIES=true

moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

rm -rf "$work" && mkdir -p "$work"
cp "$tf_root"/envs/dev/*.tf "$tf_root/envs/dev/terraform.tfvars" "$here"/*.tf "$work"/
cp -r "$here/cache-stand-in" "$work"/

"$python" "$here/moto_server.py" "$port" >"$log_dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "$endpoint/moto-api/" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$endpoint/moto-api/" >/dev/null || { cat "$log_dir/moto.log"; echo "moto did not start" >&2; exit 1; }
echo "moto $("$python" -c 'import moto; print(moto.__version__)') on $endpoint"

cd "$work"
terraform init -input=false -no-color >"$log_dir/init.log" 2>&1 || { cat "$log_dir/init.log"; exit 1; }

start=$SECONDS
# A hung call would otherwise wait out the provider's default timeouts (up to an hour for RDS).
if ! timeout 900 terraform apply -auto-approve -input=false -no-color -var "emulator_port=$port" >"$log_dir/apply.log" 2>&1; then
  grep -E 'Error:' -A8 "$log_dir/apply.log" | head -60
  echo "apply failed (log: $log_dir/apply.log)" >&2
  exit 1
fi
created=$(grep -c ': Creation complete after' "$log_dir/apply.log")
in_state=$(terraform state list | grep -cvE '^(module\.[^.]+\.)*data\.')
echo "apply: $created resources created in $((SECONDS - start)) s ($in_state managed resources in state)"

terraform output -json >"$log_dir/outputs.json"
"$python" "$here/verify.py" "$endpoint" "$log_dir/outputs.json"

# moto cannot delete CodeDeploy applications or deployment groups: forget them (they vanish
# with the emulator) so that destroy covers everything else.
forgotten=(module.app.aws_codedeploy_deployment_group.web module.app.aws_codedeploy_app.this)
terraform state rm -no-color "${forgotten[@]}" >/dev/null
echo "state rm before destroy (moto cannot delete them): ${forgotten[*]}"

start=$SECONDS
if ! timeout 900 terraform destroy -auto-approve -input=false -no-color -var "emulator_port=$port" >"$log_dir/destroy.log" 2>&1; then
  grep -E 'Error:' -A8 "$log_dir/destroy.log" | head -60
  echo "destroy failed (log: $log_dir/destroy.log)" >&2
  exit 1
fi
destroyed=$(grep -c ': Destruction complete after' "$log_dir/destroy.log")
left=$(terraform state list | grep -cvE '^(module\.[^.]+\.)*data\.' || true)
echo "destroy: $destroyed resources destroyed in $((SECONDS - start)) s ($left left in state)"
[ "$left" -eq 0 ] || { echo "resources left after destroy" >&2; exit 1; }
[ $((destroyed + ${#forgotten[@]})) -eq "$created" ] || { echo "created $created but destroyed $destroyed + ${#forgotten[@]} forgotten" >&2; exit 1; }
