#!/usr/bin/env bash
# Deploys one image to one environment; run by .github/workflows/deploy-environment.yml with
# AWS credentials (OIDC) already set up. Can be run by hand with the same variables
# (deploy/runbooks/deploy.md). Steps:
#   1. push the image to ECR as <git sha>, wait for the scan on push, stop on CRITICAL/HIGH;
#   2. register new revisions of the web, worker and migrate task definitions with that image
#      (the pipeline owns the image tag; Terraform ignores these revisions);
#   3. run `folio migrate` as a one-off task, wait, and stop unless it exited 0;
#   4. roll the worker service; deploy web blue/green through CodeDeploy (which rolls back by
#      itself on its alarms);
#   5. smoke test the public URL; on failure, deploy the previous web revision again.
set -euo pipefail

: "${IMAGE_ARCHIVE:?}" "${ECR_REPOSITORY:?}" "${ECS_CLUSTER:?}" "${TASK_FAMILY_PREFIX:?}"
: "${MIGRATE_NETWORK:?}" "${CODEDEPLOY_APP:?}" "${CODEDEPLOY_GROUP:?}" "${SITE_URL:?}"
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

log "worker (rolling; ECS rolls back by itself if the new tasks cannot start)"
aws ecs update-service --cluster "$ECS_CLUSTER" --service worker --task-definition "$worker" \
  --query 'service.deployments[0].id' --output text

# CodeDeploy deployment of TASK_DEFINITION to the web service; waits for the result.
deploy_web() {
  local appspec
  appspec=$(jq -cn --arg td "$1" '{version: 1, Resources: [{TargetService: {Type: "AWS::ECS::Service",
    Properties: {TaskDefinition: $td, LoadBalancerInfo: {ContainerName: "folio", ContainerPort: 8000}}}}]}')
  local revision
  revision=$(jq -cn --arg content "$appspec" '{revisionType: "AppSpecContent", appSpecContent: {content: $content}}')
  local id
  id=$(aws deploy create-deployment --application-name "$CODEDEPLOY_APP" \
    --deployment-group-name "$CODEDEPLOY_GROUP" --revision "$revision" \
    --description "$2" --query deploymentId --output text)
  echo "deployment $id"
  if ! aws deploy wait deployment-successful --deployment-id "$id"; then
    aws deploy get-deployment --deployment-id "$id" \
      --query 'deploymentInfo.[status, errorInformation.message, rollbackInfo.rollbackMessage]' --output text >&2
    return 1
  fi
}

log "web (blue/green; the rollback alarms stop and reverse it)"
deploy_web "$web" "folio $tag"

log "smoke test $SITE_URL"
smoke() {
  local path status
  for path in /healthz /readyz /signin/; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$SITE_URL$path" || echo 000)
    echo "GET $path -> $status"
    [ "$status" = 200 ] || return 1
  done
}
ok=""
for _ in 1 2 3 4 5 6; do
  if smoke; then ok=1; break; fi
  sleep 10
done
if [ -z "$ok" ]; then
  log "smoke test failed: deploying the previous web revision again"
  deploy_web "$previous_web" "rollback of $tag (smoke test failed)" || true
  exit 1
fi
aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services worker
log "deployed $tag"
