#!/usr/bin/env bash
# deploy/ci/deploy.sh against stubbed aws, docker and curl (no AWS account, no Docker engine):
# each scenario checks the calls the script makes and its exit status. Run by
# deploy/ci/platform-checks.sh; by hand: deploy/ci/tests/deploy-test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
deploy="$here/../deploy.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"

# --- stubs ---------------------------------------------------------------------------------------
# State lives in files under $STUB_STATE: the worker's task definition, the deployment status.
cat > "$work/bin/aws" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
s="$STUB_STATE"
echo "aws $*" >> "$s/calls"
arn=arn:aws:ecs:eu-central-1:123456789012
case "$1 $2" in
  "ecr get-login-password") echo password ;;
  "ecr wait") ;;
  "ecr describe-image-scan-findings") echo '{}' ;;
  "ecs describe-task-definition") echo '{"family": "f", "containerDefinitions": [{"image": "old"}]}' ;;
  "ecs register-task-definition")
    name=$(basename "${4#file://}" .json); echo "$arn:task-definition/$name:2" ;;
  "ecs describe-services")
    if [[ "$*" == *desiredCount* ]]; then echo "${WEB_DESIRED:-1}"
    elif [ "$6" = web ]; then echo "$arn:task-definition/folio-dev-web:1"
    elif [[ "$*" == *PRIMARY* ]]; then printf '%s\t%s\n' "$(cat "$s/worker")" "${WORKER_ROLLOUT:-COMPLETED}"
    else cat "$s/worker"; fi ;;
  "ecs update-service")
    if [ "$7" = --task-definition ]; then echo "$8" > "$s/worker"; echo ecs-svc/1; else echo 1; fi ;;
  "application-autoscaling register-scalable-target") ;;
  "ecs run-task")
    case "$*" in *smoke*) echo "$arn:task/folio-dev/smoke0001" ;; *) echo "$arn:task/folio-dev/migrate0001" ;; esac ;;
  "ecs wait") ;;
  "ecs describe-tasks")
    if [[ "$*" == *exitCode* ]]; then
      case "$6" in *smoke*) echo "${SMOKE_EXIT:-0}" ;; *) echo "${MIGRATE_EXIT:-0}" ;; esac
    else echo "Essential container in task exited"; fi ;;
  "deploy create-deployment")
    n=$(( $(cat "$s/deployments" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$s/deployments"
    # Keep the revision (the AppSpec) for the scenarios to inspect.
    while [ $# -gt 0 ]; do [ "$1" = --revision ] && printf '%s' "$2" > "$s/revision-$n"; shift; done
    echo "${READY_RESULT:-Ready}" > "$s/status"; echo "d-$n" ;;
  "deploy get-deployment")
    if [[ "$*" == *"--query deploymentInfo.status"* ]]; then cat "$s/status"; else printf '%s\tmessage\n' "$(cat "$s/status")"; fi ;;
  "deploy continue-deployment") echo "${SHIFT_RESULT:-Succeeded}" > "$s/status" ;;
  "deploy stop-deployment") echo Stopped > "$s/status" ;;
  "deploy wait") [ "$(cat "$s/status")" = Succeeded ] ;;
  *) echo "unexpected: aws $*" >&2; exit 2 ;;
esac
STUB
cat > "$work/bin/docker" <<'STUB'
#!/usr/bin/env bash
echo "docker $*" >> "$STUB_STATE/calls"
case "$1" in
  login) cat >/dev/null ;;  # reads the password from stdin, as docker does
  load) cat >/dev/null; echo "Loaded image: folio:test" ;;
esac
STUB
cat > "$work/bin/curl" <<'STUB'
#!/usr/bin/env bash
echo "curl $*" >> "$STUB_STATE/calls"
printf '%s' "${PUBLIC_STATUS:-200}"
STUB
chmod +x "$work/bin/"*
echo image | gzip > "$work/image.tar.gz"

failures=0
# scenario NAME EXPECTED_EXIT VAR=VALUE...: runs deploy.sh with the stubs; leaves $calls.
scenario() {
  local name=$1 expect=$2 status=0
  shift 2
  export STUB_STATE="$work/$name"
  mkdir -p "$STUB_STATE"
  echo "arn:aws:ecs:eu-central-1:123456789012:task-definition/folio-dev-worker:1" > "$STUB_STATE/worker"
  env PATH="$work/bin:$PATH" IMAGE_ARCHIVE="$work/image.tar.gz" \
    ECR_REPOSITORY=123456789012.dkr.ecr.eu-central-1.amazonaws.com/folio-dev ECS_CLUSTER=folio-dev \
    TASK_FAMILY_PREFIX=folio-dev MIGRATE_NETWORK=net CODEDEPLOY_APP=folio-dev CODEDEPLOY_GROUP=web \
    SITE_URL=https://dev.example.org SMOKE_NETWORK=smokenet SMOKE_TASK_DEFINITION=folio-dev-smoke \
    IMAGE_TAG=abc123 RUNNER_TEMP="$STUB_STATE" DEPLOY_POLL_SECONDS=0 "$@" \
    "$deploy" > "$STUB_STATE/out" 2>&1 || status=$?
  calls="$STUB_STATE/calls"
  current="$name"
  if [ "$status" -ne "$expect" ]; then
    fail "exit status $status, expected $expect"
  fi
}
fail() {
  echo "FAIL [$current]: $*" >&2
  sed 's/^/    /' "$STUB_STATE/out" >&2
  failures=$((failures + 1))
}
has() { grep -q -- "$1" "$calls" || fail "no call matching: $1"; }
hasnt() { ! grep -q -- "$1" "$calls" || fail "unexpected call: $1"; }
worker_is() { [ "$(cat "$STUB_STATE/worker")" = "arn:aws:ecs:eu-central-1:123456789012:task-definition/folio-dev-worker:$1" ] || fail "worker on $(cat "$STUB_STATE/worker"), expected revision $1"; }
order() { # order A B: the first call matching A comes before the first matching B
  local a b
  # (|| true: a call that never happened is reported below, not by set -e ending the run)
  a=$(grep -n -m1 -- "$1" "$calls" | cut -d: -f1 || true); b=$(grep -n -m1 -- "$2" "$calls" | cut -d: -f1 || true)
  if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then fail "expected '$1' before '$2'"; fi
}

# --- scenarios -----------------------------------------------------------------------------------
scenario success 0
order "ecs run-task .*folio-dev-smoke" "deploy continue-deployment"
has "deploy continue-deployment --deployment-id d-1 --deployment-wait-type READY_WAIT"
hasnt "deploy stop-deployment"
hasnt "application-autoscaling"
worker_is 2
# The ECS AppSpec: version 0.0 (the only value CodeDeploy defines; `version: 1` is not one),
# written as that literal, and the new web revision as the task definition.
appspec=$(jq -r '.appSpecContent.content' "$STUB_STATE/revision-1")
grep -qE '^\{"version":0\.0,' <<<"$appspec" || fail "AppSpec version is not 0.0: $appspec"
[ "$(jq -r '.Resources[0].TargetService.Properties.TaskDefinition' <<<"$appspec")" = \
  "arn:aws:ecs:eu-central-1:123456789012:task-definition/folio-dev-web:2" ] || fail "AppSpec task definition: $appspec"
[ "$(jq -r '.revisionType' "$STUB_STATE/revision-1")" = AppSpecContent ] || fail "revision type"

# The replacement tasks fail the smoke test on the test listener: production traffic never moves.
scenario smoke_fails 1 SMOKE_EXIT=1
has "deploy stop-deployment --deployment-id d-1 --auto-rollback-enabled"
hasnt "deploy continue-deployment"
hasnt "curl"
worker_is 1

# CodeDeploy's alarms roll the shift back: the script reports it and fails.
scenario alarm_rollback 1 SHIFT_RESULT=Stopped
has "deploy continue-deployment"
worker_is 1

# The deployment ends (e.g. replacement tasks unhealthy) before it is ready for the smoke test.
scenario fails_before_ready 1 READY_RESULT=Failed
hasnt "ecs run-task .*folio-dev-smoke"
hasnt "deploy continue-deployment"
worker_is 1

# A deployment group without the ready wait (Terraform not applied yet) moves traffic at once:
# the run fails loudly, and the worker stays on the new revision to match web.
scenario no_ready_wait 1 READY_RESULT=Succeeded
hasnt "ecs run-task .*folio-dev-smoke"
hasnt "deploy stop-deployment"
grep -q "apply Terraform" "$STUB_STATE/out" || fail "no hint to apply Terraform"
worker_is 2

# The worker's circuit breaker rolled it back: web is not deployed at all.
scenario worker_fails 1 WORKER_ROLLOUT=FAILED
hasnt "deploy create-deployment"
worker_is 1

# The public URL fails after the shift: the previous web revision goes out again (no `|| true`).
scenario public_smoke_fails 1 PUBLIC_STATUS=503
grep -q "create-deployment.*folio-dev-web:1" "$calls" || fail "no redeploy of the previous web revision"
worker_is 1

# Dev asleep (web at 0 tasks at night): woken (one task each) before anything runs, deployed with
# every gate, and put back to sleep afterwards; the pipeline succeeds.
scenario asleep 0 WEB_DESIRED=0 SLEEPS_AT_NIGHT=true
has "application-autoscaling register-scalable-target .*service/folio-dev/web --min-capacity 1 --max-capacity 1"
has "application-autoscaling register-scalable-target .*service/folio-dev/worker --min-capacity 1 --max-capacity 1"
has "ecs update-service --cluster folio-dev --service web --desired-count 1"
order "service/folio-dev/web --min-capacity 1" "ecs run-task .*folio-dev-migrate"
order "ecs wait services-stable --cluster folio-dev --services web worker" "ecs run-task .*folio-dev-migrate"
has "ecs run-task .*folio-dev-smoke"
order "deploy continue-deployment" "service/folio-dev/web --min-capacity 0 --max-capacity 0"
has "service/folio-dev/worker --min-capacity 0 --max-capacity 0"
grep -q "waking web and worker" "$STUB_STATE/out" || fail "no message about waking the environment"
worker_is 2

# Asleep, and the new tasks fail the smoke test: rolled back as by day, and asleep again.
scenario asleep_smoke_fails 1 WEB_DESIRED=0 SLEEPS_AT_NIGHT=true SMOKE_EXIT=1
has "deploy stop-deployment --deployment-id d-1 --auto-rollback-enabled"
order "deploy stop-deployment" "service/folio-dev/web --min-capacity 0 --max-capacity 0"
has "service/folio-dev/worker --min-capacity 0 --max-capacity 0"
worker_is 1

# Asleep, and the migration fails: nothing deployed, asleep again.
scenario asleep_migrate_fails 1 WEB_DESIRED=0 SLEEPS_AT_NIGHT=true MIGRATE_EXIT=3
hasnt "deploy create-deployment"
has "service/folio-dev/web --min-capacity 0 --max-capacity 0"
worker_is 1

# A service at 0 tasks where the environment does not sleep (prod): an incident, not a schedule.
# The deploy stops before migrating or waking anything.
scenario zero_not_sleeping 1 WEB_DESIRED=0
hasnt "application-autoscaling"
hasnt "ecs run-task"
hasnt "deploy create-deployment"
grep -q "does not sleep at night" "$STUB_STATE/out" || fail "no explanation"

if [ "$failures" -gt 0 ]; then
  echo "deploy.sh tests: $failures failure(s)" >&2
  exit 1
fi
echo "deploy.sh tests: 11 scenarios passed"
