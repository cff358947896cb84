#!/usr/bin/env bash
# Deploys one image to one environment; run by .github/workflows/deploy-environment.yml with
# AWS credentials (OIDC) already set up. Can be run by hand with the same variables
# (deploy/runbooks/deploy.md). Steps:
#   1. push the image to ECR as <git sha>, wait for the scan on push, stop on CRITICAL/HIGH;
#   2. register new revisions of the web, worker and migrate task definitions with that image
#      (the pipeline owns the image tag; Terraform ignores these revisions);
#   3. run `folio migrate` as a one-off task, wait, and stop unless it exited 0;
#   4. roll the worker service and wait until it runs the new revision (the circuit breaker
#      rolls a worker that cannot start back by itself, which stops the deploy here);
#   5. deploy web blue/green through CodeDeploy: the replacement tasks get the test listener
#      (8443) and the deployment waits (status Ready); the smoke-test task (SMOKE_TASK_DEFINITION,
#      in the app subnets) checks them through that listener; only if it passes does the script
#      let traffic move (continue-deployment), otherwise it stops the deployment with rollback;
#      CodeDeploy also rolls back by itself on its alarms;
#   6. smoke test the public URL after the shift.
# A non-production environment that sleeps at night (SLEEPS_AT_NIGHT=true, web scaled to zero)
# is woken for the deploy and put back to sleep afterwards (see "a sleeping environment" below).
# Any failure from step 4 on rolls the worker back to its previous task definition and, where
# web had already moved, web as well; the script then exits non-zero. Results also go to the
# deployments SNS topic (CodeDeploy triggers).
set -euo pipefail

: "${IMAGE_ARCHIVE:?}" "${ECR_REPOSITORY:?}" "${ECS_CLUSTER:?}" "${TASK_FAMILY_PREFIX:?}"
: "${MIGRATE_NETWORK:?}" "${CODEDEPLOY_APP:?}" "${CODEDEPLOY_GROUP:?}" "${SITE_URL:?}"
: "${SMOKE_NETWORK:?}" "${SMOKE_TASK_DEFINITION:?}"
# true where modules/app scales web and worker to zero at night (terraform output sleeps_at_night).
sleeps_at_night="${SLEEPS_AT_NIGHT:-false}"
# Seconds between status polls (tests set 0).
poll="${DEPLOY_POLL_SECONDS:-15}"
tag="${IMAGE_TAG:-${GITHUB_SHA:?set IMAGE_TAG or GITHUB_SHA}}"
image="$ECR_REPOSITORY:$tag"
registry="${ECR_REPOSITORY%%/*}"
repository_name="${ECR_REPOSITORY#*/}"
# Findings that stop a release (ECR basic scanning severities).
blocking_severities="${BLOCKING_SEVERITIES:-CRITICAL HIGH}"

log() { printf '\n== %s\n' "$*"; }

log "push $image"
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
loaded=$(gunzip -c "$IMAGE_ARCHIVE" | docker load | sed -n 's/^Loaded image: //p' | head -n1)
docker tag "$loaded" "$image"
docker push "$image"

log "scan on push"
aws ecr wait image-scan-complete --repository-name "$repository_name" --image-id imageTag="$tag"
findings=$(aws ecr describe-image-scan-findings --repository-name "$repository_name" --image-id imageTag="$tag" \
  --query 'imageScanFindings.findingSeverityCounts' --output json)
echo "findings: $findings"
for severity in $blocking_severities; do
  count=$(jq -r --arg s "$severity" '.[$s] // 0' <<<"$findings")
  if [ "$count" -gt 0 ]; then
    echo "$count $severity finding(s): not deploying (aws ecr describe-image-scan-findings for details)" >&2
    exit 1
  fi
done

# A new revision of FAMILY's latest task definition, with the new image. Prints its ARN.
register() {
  aws ecs describe-task-definition --task-definition "$1" --query taskDefinition --output json \
    | jq --arg image "$image" '.containerDefinitions[0].image = $image
        | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
              .registeredAt, .registeredBy, .deregisteredAt)' \
    > "$RUNNER_TEMP_DIR/$1.json"
  aws ecs register-task-definition --cli-input-json "file://$RUNNER_TEMP_DIR/$1.json" \
    --query taskDefinition.taskDefinitionArn --output text
}
RUNNER_TEMP_DIR="${RUNNER_TEMP:-$(mktemp -d)}"

log "task definitions"
previous_web=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services web \
  --query 'services[0].taskDefinition' --output text)
web=$(register "$TASK_FAMILY_PREFIX-web")
worker=$(register "$TASK_FAMILY_PREFIX-worker")
migrate=$(register "$TASK_FAMILY_PREFIX-migrate")
printf 'web %s\nworker %s\nmigrate %s\n(previous web: %s)\n' "$web" "$worker" "$migrate" "$previous_web"

# --- a sleeping environment ---------------------------------------------------------------------
# Non-production environments sleep at night: scheduled actions (modules/app) set the web and
# worker scalable targets to min = max = 0. A blue/green deployment then creates a replacement
# task set of zero tasks and waits for a smoke test that can never pass. Skipping the deploy is no
# way out: web runs the task definition of its CodeDeploy task set, not the family's latest
# revision, so registering the new revision would not make the morning scale-up start the new
# image; and a skipped dev deploy would turn green without having tested the image that the prod
# approval is then asked about. So the script wakes the environment for the deploy (one task each:
# enough to deploy and smoke-test), runs the whole deploy with its gates, and on every exit,
# success or failure, puts both targets back to min = max = 0; Application Auto Scaling scales
# them in again, and the morning action starts whatever revision is then current.
# Production never sleeps: a production web service at zero tasks is an incident, not a schedule,
# and the deploy stops before touching anything.
# Caveat: a deploy still running when the morning action fires puts the environment back to
# sleep at its end; `terraform apply` (or the next morning) wakes it (runbooks/scaling.md).
woken=""
web_desired=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services web \
  --query 'services[0].desiredCount' --output text)
if [ "$web_desired" = 0 ]; then
  if [ "$sleeps_at_night" != true ]; then
    echo "web has 0 desired tasks and this environment does not sleep at night: not deploying" \
      "(a blue/green deployment would wait for replacement tasks that never start); scale web" \
      "up first (runbooks/scaling.md)" >&2
    exit 1
  fi
  log "the environment is asleep (web at 0 tasks): waking web and worker for this deploy"
  woken=1
  for service in web worker; do
    aws application-autoscaling register-scalable-target --service-namespace ecs \
      --scalable-dimension ecs:service:DesiredCount --resource-id "service/$ECS_CLUSTER/$service" \
      --min-capacity 1 --max-capacity 1
    # The new range does not promise that the count has moved by the time the wait below looks;
    # setting it here means the wait waits for a running task, not for a count of 0.
    aws ecs update-service --cluster "$ECS_CLUSTER" --service "$service" --desired-count 1 \
      --query 'service.desiredCount' --output text
  done
fi

# Puts a woken environment back to sleep; called on every exit from here on.
sleep_again() {
  [ -n "$woken" ] || return 0
  local service
  log "putting the environment back to sleep (web and worker to 0 tasks)"
  for service in web worker; do
    aws application-autoscaling register-scalable-target --service-namespace ecs \
      --scalable-dimension ecs:service:DesiredCount --resource-id "service/$ECS_CLUSTER/$service" \
      --min-capacity 0 --max-capacity 0 \
      || echo "COULD NOT PUT $service BACK TO SLEEP: it runs until the next night's scheduled action" >&2
  done
  woken=""
}
trap sleep_again EXIT

if [ -n "$woken" ]; then
  aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services web worker
fi

log "migrate"
task=$(aws ecs run-task --cluster "$ECS_CLUSTER" --task-definition "$migrate" --launch-type FARGATE \
  --network-configuration "$MIGRATE_NETWORK" --started-by "deploy-$tag" \
  --query 'tasks[0].taskArn' --output text)
echo "task $task"
aws ecs wait tasks-stopped --cluster "$ECS_CLUSTER" --tasks "$task"
exit_code=$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task" \
  --query 'tasks[0].containers[0].exitCode' --output text)
reason=$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task" \
  --query 'tasks[0].stoppedReason' --output text)
echo "migrate exit code: $exit_code ($reason)"
if [ "$exit_code" != "0" ]; then
  echo "migration failed; nothing was deployed. Its log: /folio/$TASK_FAMILY_PREFIX/migrate, stream migrate/folio/${task##*/}" >&2
  exit 1
fi

# --- from here on, a failure puts the worker (and web, if it moved) back ------------------------

previous_worker=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services worker \
  --query 'services[0].taskDefinition' --output text)
worker_rolled=""
deployment=""

# Runs on every exit; after a success it only puts a woken environment back to sleep.
finish() {
  local status=$?
  if [ "$status" -eq 0 ]; then
    sleep_again
    return 0
  fi
  set +e
  if [ -n "$deployment" ]; then
    local state
    state=$(aws deploy get-deployment --deployment-id "$deployment" --query deploymentInfo.status --output text)
    case "$state" in
      Created|Queued|InProgress|Baking|Ready)
        log "stopping web deployment $deployment ($state) with rollback"
        aws deploy stop-deployment --deployment-id "$deployment" --auto-rollback-enabled >&2
        aws deploy wait deployment-successful --deployment-id "$deployment" 2>/dev/null
        aws deploy get-deployment --deployment-id "$deployment" \
          --query 'deploymentInfo.[status, rollbackInfo.rollbackDeploymentId, rollbackInfo.rollbackMessage]' --output text >&2
        ;;
    esac
  fi
  if [ -n "$worker_rolled" ]; then
    log "rolling the worker back to $previous_worker"
    if aws ecs update-service --cluster "$ECS_CLUSTER" --service worker --task-definition "$previous_worker" \
        --query 'service.deployments[0].id' --output text >&2 \
      && aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services worker; then
      echo "worker is back on $previous_worker" >&2
    else
      echo "WORKER ROLLBACK FAILED: roll it back by hand (runbooks/rollback.md)" >&2
    fi
  fi
  sleep_again
  log "deploy of $tag FAILED (exit $status)"
  exit "$status"
}
trap finish EXIT

log "worker (rolling; ECS rolls a release that cannot start back by itself)"
worker_rolled=1
aws ecs update-service --cluster "$ECS_CLUSTER" --service worker --task-definition "$worker" \
  --query 'service.deployments[0].id' --output text
aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services worker
running=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services worker \
  --query "services[0].deployments[?status=='PRIMARY'].[taskDefinition, rolloutState]" --output text)
if [ "$running" != "$worker"$'\t'"COMPLETED" ]; then
  echo "the worker did not settle on $worker (primary deployment: $running)" >&2
  exit 1
fi

# Starts a CodeDeploy deployment of TASK_DEFINITION to the web service; sets $deployment.
start_web() {
  local appspec revision
  # The AppSpec's version must be 0.0, the only value CodeDeploy defines. Written as the literal
  # 0.0 (jq would print the number as 0 or 0.0 depending on its version); jq only quotes the ARN.
  appspec=$(printf '{"version":0.0,"Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":%s,"LoadBalancerInfo":{"ContainerName":"folio","ContainerPort":8000}}}}]}' \
    "$(jq -n --arg td "$1" '$td')")
  revision=$(jq -cn --arg content "$appspec" '{revisionType: "AppSpecContent", appSpecContent: {content: $content}}')
  deployment=$(aws deploy create-deployment --application-name "$CODEDEPLOY_APP" \
    --deployment-group-name "$CODEDEPLOY_GROUP" --revision "$revision" \
    --description "$2" --query deploymentId --output text)
  echo "deployment $deployment"
}

# Waits until the deployment is Ready (replacement tasks on the test listener, production
# traffic not moved yet). Fails if it ends first.
wait_ready() {
  local state
  while :; do
    state=$(aws deploy get-deployment --deployment-id "$deployment" --query deploymentInfo.status --output text)
    case "$state" in
      Ready) return 0 ;;
      Created|Queued|InProgress) sleep "$poll" ;;
      Succeeded)
        # Only without a ready wait in the deployment group: Terraform not applied yet.
        echo "deployment $deployment moved traffic without waiting for the smoke test: apply Terraform" \
          "(deployment_ready_option STOP_DEPLOYMENT) before deploying with this script;" \
          "web and worker both run $tag now (the worker stays, to match web)" >&2
        worker_rolled=""
        deployment=""
        return 1 ;;
      *)
        echo "deployment $deployment ended as $state before the smoke test" >&2
        aws deploy get-deployment --deployment-id "$deployment" \
          --query 'deploymentInfo.[status, errorInformation.message, rollbackInfo.rollbackMessage]' --output text >&2
        return 1 ;;
    esac
  done
}

# Runs the smoke-test task (GET /healthz, /readyz, /signin/ on the test listener) and succeeds
# only if it exits 0.
smoke_test_listener() {
  local task code
  task=$(aws ecs run-task --cluster "$ECS_CLUSTER" --task-definition "$SMOKE_TASK_DEFINITION" \
    --launch-type FARGATE --network-configuration "$SMOKE_NETWORK" --started-by "smoke-$tag" \
    --query 'tasks[0].taskArn' --output text)
  echo "smoke task $task"
  aws ecs wait tasks-stopped --cluster "$ECS_CLUSTER" --tasks "$task"
  code=$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task" \
    --query 'tasks[0].containers[0].exitCode' --output text)
  echo "smoke test exit code: $code (log: /folio/$TASK_FAMILY_PREFIX/migrate, stream smoke/smoke/${task##*/})"
  [ "$code" = "0" ]
}

# The public URL, through CloudFront and the WAF.
smoke_public() {
  local path status
  for path in /healthz /readyz /signin/; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$SITE_URL$path" || echo 000)
    echo "GET $path -> $status"
    [ "$status" = 200 ] || return 1
  done
}

log "web (blue/green): replacement tasks on the test listener"
start_web "$web" "folio $tag"
wait_ready

log "smoke test of the replacement tasks through the test listener"
smoke_test_listener   # on failure: finish() stops the deployment with rollback

log "smoke test passed: moving production traffic (the rollback alarms still apply)"
aws deploy continue-deployment --deployment-id "$deployment" --deployment-wait-type READY_WAIT
if ! aws deploy wait deployment-successful --deployment-id "$deployment"; then
  aws deploy get-deployment --deployment-id "$deployment" \
    --query 'deploymentInfo.[status, errorInformation.message, rollbackInfo.rollbackMessage]' --output text >&2
  exit 1
fi
succeeded="$deployment"
deployment=""

log "smoke test $SITE_URL"
ok=""
for _ in 1 2 3 4 5 6; do
  if smoke_public; then ok=1; break; fi
  sleep "$poll"
done
if [ -z "$ok" ]; then
  # The deployment succeeded, so it cannot be stopped any more: deploy the previous revision
  # (its tasks go through the same smoke test), and fail either way.
  log "public smoke test failed after $succeeded: deploying the previous web revision $previous_web"
  start_web "$previous_web" "rollback of $tag (public smoke test failed)"
  wait_ready
  smoke_test_listener
  aws deploy continue-deployment --deployment-id "$deployment" --deployment-wait-type READY_WAIT
  if aws deploy wait deployment-successful --deployment-id "$deployment"; then
    deployment=""
    echo "web is back on $previous_web" >&2
  else
    echo "WEB ROLLBACK FAILED ($deployment): runbooks/rollback.md" >&2
  fi
  exit 1
fi
log "deployed $tag"
