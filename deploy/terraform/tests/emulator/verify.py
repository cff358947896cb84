"""After the emulator apply: read the environment back from the emulator's APIs and check what
the plan promised (outputs alone could be right while the resources are wrong).

Usage: python verify.py ENDPOINT OUTPUTS_JSON
"""
import json
import sys

import boto3

endpoint, outputs_file = sys.argv[1], sys.argv[2]
out = {k: v["value"] for k, v in json.load(open(outputs_file)).items()}
region = "eu-central-1"


def client(service, region_name=region):
    return boto3.client(service, endpoint_url=endpoint, region_name=region_name)


checks = []


def check(what, ok):
    checks.append((what, bool(ok)))
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")


# Outputs
check("site_url is https://dev.folio.example.org", out["site_url"] == "https://dev.folio.example.org")
check("cluster is folio-dev", out["cluster_name"] == "folio-dev")
check("task definition families web/worker/migrate",
      out["task_definition_families"] == {"web": "folio-dev-web", "worker": "folio-dev-worker", "migrate": "folio-dev-migrate"})
check("ECR repository URL", out["ecr_repository_url"].endswith(".amazonaws.com/folio-dev"))
check("deploy role", out["deploy_role_arn"].endswith(":role/folio-dev-github-deploy"))
check("CodeDeploy app/group", out["codedeploy"] == {"app": "folio-dev", "group": "web"})
check("migrate network is private", "assignPublicIp=DISABLED" in out["migrate_network"])
check("smoke-test network is private", "assignPublicIp=DISABLED" in out["smoke_network"])

# Resources, read back
ecs = client("ecs")
services = {s["serviceName"]: s for s in ecs.describe_services(cluster="folio-dev", services=["web", "worker"])["services"]}
check("web is deployed by CodeDeploy", services["web"]["deploymentController"]["type"] == "CODE_DEPLOY")
check("worker rolls with ECS", services["worker"]["deploymentController"]["type"] == "ECS")
smoke = ecs.describe_task_definition(taskDefinition=out["smoke_task_definition"])["taskDefinition"]["containerDefinitions"][0]
check("the smoke-test task targets the test listener",
      smoke["environment"] == [{"name": "SMOKE_URL", "value": "https://origin.dev.folio.example.org:8443"}])
group = client("codedeploy").get_deployment_group(applicationName="folio-dev", deploymentGroupName="web")["deploymentGroupInfo"]
ready = group["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
check("web deployments wait for the smoke test (STOP_DEPLOYMENT) and a stop rolls back",
      ready == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30}
      and "DEPLOYMENT_STOP_ON_REQUEST" in group["autoRollbackConfiguration"]["events"])
check("deployment results go to the deployments topic",
      [t["triggerTargetArn"] for t in group.get("triggerConfigurations", [])] == [out["deployment_events_topic_arn"]])
email = out["email"]
for family, command in [("folio-dev-web", "serve"), ("folio-dev-worker", "worker"), ("folio-dev-migrate", "migrate")]:
    task = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    container = task["containerDefinitions"][0]
    secrets = {s["name"] for s in container.get("secrets", [])}
    env = {e["name"]: e["value"] for e in container.get("environment", [])}
    expected = {"FOLIO_SECRET_KEY", "FOLIO_DATABASE_PASSWORD"} if command == "migrate" else {"FOLIO_SECRET_KEY"}
    check(f"{family} runs `{command}` with its secrets only ({', '.join(sorted(expected))})",
          container["command"] == [command] and secrets == expected)
    if command == "migrate":
        check(f"{family} logs in as the master user and creates the app role",
              env.get("FOLIO_DATABASE_APP_ROLE") == "folio_app" and env.get("FOLIO_DATABASE_URL", "").startswith("postgres://folio@"))
    else:
        check(f"{family} logs in as folio_app by IAM, TLS verified",
              env.get("FOLIO_DATABASE_AUTH") == "iam" and env.get("FOLIO_DATABASE_URL", "").startswith("postgres://folio_app@")
              and "sslmode=verify-full" in env.get("FOLIO_DATABASE_URL", ""))
    check(f"{family} sends through the SES API with its task role (plain ses:// URL)",
          env.get("FOLIO_EMAIL_URL") == "ses://eu-central-1?configuration_set=folio-dev" == email["url"]
          and task["taskRoleArn"].endswith(":role/folio-dev-task"))
    check(f"{family}: FOLIO_SES_TOPIC_ARN only on web",
          env.get("FOLIO_SES_TOPIC_ARN") == (email["feedback_topic"] if command == "serve" else None))

iam = client("iam")
task_policy = iam.get_role_policy(RoleName="folio-dev-task", PolicyName="folio-app")["PolicyDocument"]
task_policy = json.loads(task_policy) if isinstance(task_policy, str) else task_policy
send = [st for st in task_policy["Statement"] if st.get("Sid") == "SendEmail"]
check("the task role may send as the identity through the configuration set, from FOLIO_EMAIL_FROM only",
      len(send) == 1 and set(send[0]["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
      and sorted(r.split(":")[-1] for r in send[0]["Resource"]) == ["configuration-set/folio-dev", "identity/dev.folio.example.org"]
      and send[0]["Condition"] == {"StringEquals": {"ses:FromAddress": "no-reply@dev.folio.example.org"}})
check("no IAM user (no long-lived SMTP key)", not iam.list_users()["Users"])

sesv2 = client("sesv2")
config_set = sesv2.get_configuration_set(ConfigurationSetName="folio-dev")
check("configuration set: TLS required, reputation metrics, sending on, account suppression of bounces and complaints",
      config_set["DeliveryOptions"].get("TlsPolicy") == "REQUIRE"
      and config_set["ReputationOptions"].get("ReputationMetricsEnabled")
      and config_set["SendingOptions"].get("SendingEnabled") is True
      and set(config_set["SuppressionOptions"].get("SuppressedReasons", [])) == {"BOUNCE", "COMPLAINT"})
destinations = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="folio-dev")["EventDestinations"]
check("bounces and complaints are published to the feedback topic",
      len(destinations) == 1 and destinations[0]["Enabled"]
      and set(destinations[0]["MatchingEventTypes"]) == {"BOUNCE", "COMPLAINT"}
      and destinations[0]["SnsDestination"]["TopicArn"] == email["feedback_topic"])
check("the identity's default configuration set",
      sesv2.get_email_identity(EmailIdentity="dev.folio.example.org").get("ConfigurationSetName") == "folio-dev")

sns = client("sns")
topic = sns.get_topic_attributes(TopicArn=email["feedback_topic"])["Attributes"]
topic_policy = json.loads(topic["Policy"])
check("feedback topic is KMS-encrypted and only SES may publish",
      topic.get("KmsMasterKeyId", "").startswith("arn:aws:kms:")
      and [st["Principal"] for st in topic_policy["Statement"]] == [{"Service": "ses.amazonaws.com"}])
subscription = sns.get_subscription_attributes(SubscriptionArn=email["subscription"])["Attributes"]
check("SNS delivers over HTTPS to /hooks/ses, not raw, with retries",
      subscription["Protocol"] == "https" and subscription["Endpoint"] == "https://dev.folio.example.org/hooks/ses"
      and subscription["RawMessageDelivery"] in (False, "false")
      and json.loads(subscription["DeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] >= 10)

elb = client("elbv2")
# Named by name_prefix (blue-…, green-…), so found by prefix; the emulator holds one environment.
groups = [g for g in elb.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith(("blue-", "green-"))]
check("blue and green target groups (name_prefix) check /readyz",
      len(groups) == 2 and all(g["HealthCheckPath"] == "/readyz" for g in groups))
lb_arn = elb.describe_load_balancers(Names=["folio-dev"])["LoadBalancers"][0]["LoadBalancerArn"]
listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]}
check("port 80 redirects to HTTPS", listeners[80]["DefaultActions"][0]["Type"] == "redirect")
check("port 443 is HTTPS", listeners[443]["Protocol"] == "HTTPS")
origin_secret = client("secretsmanager").get_secret_value(SecretId="folio-dev/origin-verify")["SecretString"]
default_443 = listeners[443]["DefaultActions"][0]
check("port 443 answers 403 without the origin header",
      default_443["Type"] == "fixed-response" and default_443["FixedResponseConfig"]["StatusCode"] == "403")
rules = [r for r in elb.describe_rules(ListenerArn=listeners[443]["ListenerArn"])["Rules"] if not r["IsDefault"]]
header = rules[0]["Conditions"][0].get("HttpHeaderConfig", {}) if len(rules) == 1 else {}
check("port 443 forwards only with X-Origin-Verify = the Secrets Manager value (priority 1)",
      len(rules) == 1 and rules[0]["Priority"] == "1" and rules[0]["Actions"][0]["Type"] == "forward"
      and header.get("HttpHeaderName") == "X-Origin-Verify" and header.get("Values") == [origin_secret]
      and len(origin_secret) >= 64)
check("the test listener (8443) exists for the smoke test", 8443 in listeners)
cloudfront = client("cloudfront")
distribution = cloudfront.get_distribution_config(Id=out["distribution_id"])["DistributionConfig"]
alb_origin = [o for o in distribution["Origins"]["Items"] if o["Id"] == "alb"][0]
check("CloudFront sends the same X-Origin-Verify value to the ALB origin",
      [(h["HeaderName"], h["HeaderValue"]) for h in alb_origin.get("CustomHeaders", {}).get("Items", [])]
      == [("X-Origin-Verify", origin_secret)])

# The Lambda@Edge failover function (JSON 503 under /api/, the page elsewhere): in us-east-1, as
# a numbered version. moto keeps no Lambda associations on CloudFront behaviours, so those are
# asserted by terraform test (edge module), not here.
edge_lambda = client("lambda", "us-east-1")
edge_fn = edge_lambda.get_function(FunctionName="folio-dev-failover-response")["Configuration"]
edge_versions = [v["Version"] for v in edge_lambda.list_versions_by_function(FunctionName="folio-dev-failover-response")["Versions"]]
check("the Lambda@Edge failover function is in us-east-1 with a numbered version",
      edge_fn["Handler"] == "failover_response.handler" and edge_fn["Runtime"].startswith("python3")
      and any(v != "$LATEST" for v in edge_versions))

ec2 = client("ec2")
groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
    Filters=[{"Name": "group-name", "Values": ["folio-dev-alb", "folio-dev-db"]}])["SecurityGroups"]}
alb_in = {p["FromPort"]: p for p in groups["folio-dev-alb"]["IpPermissions"]}
nat_ips = sorted(f'{a["PublicIp"]}/32' for a in ec2.describe_addresses()["Addresses"])
check("ALB accepts 443 from CloudFront's prefix list only, 8443 (test listener) from the NAT addresses only",
      sorted(alb_in) == [443, 8443] and alb_in[443]["PrefixListIds"] and not alb_in[443].get("IpRanges")
      and sorted(r["CidrIp"] for r in alb_in[8443]["IpRanges"]) == nat_ips and not alb_in[8443].get("PrefixListIds"))
db_in = groups["folio-dev-db"]["IpPermissions"]
check("database accepts only 5432 from the tasks' security group",
      len(db_in) == 1 and db_in[0]["FromPort"] == 5432 and not db_in[0].get("IpRanges")
      and [p["GroupId"] for p in db_in[0]["UserIdGroupPairs"]] == [
          ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["folio-dev-app"]}])["SecurityGroups"][0]["GroupId"]])

logs = client("logs")
filters = logs.describe_metric_filters(logGroupName="/folio/folio-dev/worker")["metricFilters"]
check("no queue-depth log metric filter any more (the alarms read the app's folio_jobs gauge)",
      not [f for f in filters if f["metricTransformations"][0]["metricName"] in ("QueuedJobs", "RunningJobs", "FailedJobs")])
metrics_group = logs.describe_log_groups(logGroupNamePrefix="/folio/folio-dev/metrics")["logGroups"]
check("the collector's EMF log group exists, encrypted, with a retention",
      len(metrics_group) == 1 and metrics_group[0].get("kmsKeyId") and metrics_group[0].get("retentionInDays"))

# Issue 16: metrics listener + ADOT collector sidecar in web and worker, never in the ALB or a
# security group; the worker scales on the queue.
for family in ["folio-dev-web", "folio-dev-worker"]:
    containers = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["containerDefinitions"]
    app_env = {e["name"]: e["value"] for e in containers[0].get("environment", [])}
    sidecar = [c for c in containers if c["name"] == "adot-collector"]
    sidecar_env = {e["name"]: e["value"] for e in (sidecar[0].get("environment", []) if sidecar else [])}
    check(f"{family}: FOLIO_METRICS_LISTEN=0.0.0.0:9464, site name and description set",
          app_env.get("FOLIO_METRICS_LISTEN") == "0.0.0.0:9464" and app_env.get("FOLIO_SITE_NAME") and "FOLIO_SITE_DESCRIPTION" in app_env)
    check(f"{family}: a non-essential ADOT collector (pinned image) scraping localhost:9464 into Folio/folio-dev",
          len(containers) == 2 and containers[0]["name"] == "folio" and sidecar and sidecar[0]["essential"] is False
          and sidecar[0]["image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:v")
          and "localhost:9464" in sidecar_env.get("AOT_CONFIG_CONTENT", "") and "Folio/folio-dev" in sidecar_env.get("AOT_CONFIG_CONTENT", ""))
    check(f"{family}: no container maps the metrics port",
          all(p.get("containerPort") != 9464 for c in containers for p in c.get("portMappings", [])))
migrate_containers = ecs.describe_task_definition(taskDefinition="folio-dev-migrate")["taskDefinition"]["containerDefinitions"]
check("folio-dev-migrate: no sidecar, no metrics listener",
      len(migrate_containers) == 1 and "FOLIO_METRICS_LISTEN" not in {e["name"] for e in migrate_containers[0].get("environment", [])})
all_groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["folio-dev-*"]}])["SecurityGroups"]
# Inbound is what exposes a port: no ingress rule may cover 9464 or be all-protocols.
check("no security group admits the metrics port 9464",
      all_groups and not [p for g in all_groups for p in g["IpPermissions"]
                          if p.get("IpProtocol") == "-1" or p.get("FromPort", 0) <= 9464 <= p.get("ToPort", -1)])
listeners = client("elbv2").describe_listeners(LoadBalancerArn=client("elbv2").describe_load_balancers(Names=["folio-dev"])["LoadBalancers"][0]["LoadBalancerArn"])["Listeners"]
check("the ALB has no listener on the metrics port", listeners and all(l["Port"] != 9464 for l in listeners))
autoscaling = client("application-autoscaling")
worker_target = [t for t in autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] if t["ResourceId"] == "service/folio-dev/worker"]
check("the worker scales between dev's min 1 and max 2",
      len(worker_target) == 1 and (worker_target[0]["MinCapacity"], worker_target[0]["MaxCapacity"]) == (1, 2))
worker_policies = {p["PolicyName"]: p for p in autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/folio-dev/worker")["ScalingPolicies"]}
check("the worker has target-tracking policies on queue depth and on the oldest queued job",
      {"folio-dev-worker-queue-depth", "folio-dev-worker-oldest-queued-job"} <= set(worker_policies)
      and all(p["PolicyType"] == "TargetTrackingScaling" for p in worker_policies.values()))

secrets = client("secretsmanager")
names = {s["Name"] for s in secrets.list_secrets()["SecretList"]}
check("no database-url or cache-url secret (IAM logins, no password in Terraform state)",
      not names & {"folio-dev/database-url", "folio-dev/cache-url"})
key_versions = secrets.list_secret_version_ids(SecretId="folio-dev/secret-key")["Versions"]
check("FOLIO_SECRET_KEY secret exists without a value from Terraform (seed-secrets.sh puts one in)", key_versions == [])

rds = client("rds")
db = rds.describe_db_instances(DBInstanceIdentifier="folio-dev")["DBInstances"][0]
check("database encrypted, private, PITR >= 7 days",
      db["StorageEncrypted"] and not db["PubliclyAccessible"] and db["BackupRetentionPeriod"] >= 7)

alarms = client("cloudwatch").describe_alarms(AlarmNamePrefix="folio-dev-")["MetricAlarms"]
check("every alarm notifies the SNS topic", alarms and all(out["alarm_topic_arn"] in a["AlarmActions"] for a in alarms))

by_name = {a["AlarmName"]: a for a in alarms}
check("no healthy target and worker heartbeat alarms breach on missing data",
      all(by_name.get(n, {}).get("TreatMissingData") == "breaching" for n in ["folio-dev-no-healthy-targets", "folio-dev-worker-heartbeat"]))
check("running below desired tasks alarms for web and worker (Container Insights)",
      all(any(m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "RunningTaskCount" for m in by_name.get(f"folio-dev-{s}-tasks-below-desired", {}).get("Metrics", []))
          for s in ["web", "worker"]))
check("load balancer 5xx alarm", by_name.get("folio-dev-alb-5xx", {}).get("MetricName") == "HTTPCode_ELB_5XX_Count")
queue_alarm = by_name.get("folio-dev-queue-depth", {})
check("the queue-depth alarm reads folio_jobs{state=queued} (Maximum) in Folio/folio-dev",
      queue_alarm.get("Namespace") == "Folio/folio-dev" and queue_alarm.get("MetricName") == "folio_jobs"
      and queue_alarm.get("Statistic") == "Maximum" and {"Name": "state", "Value": "queued"} in queue_alarm.get("Dimensions", []))
check("an alarm on the oldest queued job's age",
      by_name.get("folio-dev-oldest-queued-job", {}).get("MetricName") == "folio_jobs_oldest_queued_age_seconds")
heartbeat = [f for f in filters if f["metricTransformations"][0]["metricName"] == "WorkerHeartbeat"]
check("WorkerHeartbeat metric filter on the worker alive log line",
      heartbeat and heartbeat[0]["filterPattern"] == '{ $.message = "worker alive" }')
cf_alarms = client("cloudwatch", "us-east-1").describe_alarms(AlarmNamePrefix="folio-dev-cloudfront")["MetricAlarms"]
check("CloudFront 5xx rate alarm in us-east-1 (Region=Global) notifies a us-east-1 topic",
      len(cf_alarms) == 1 and {"Name": "Region", "Value": "Global"} in cf_alarms[0]["Dimensions"]
      and all(a.split(":")[3] == "us-east-1" for a in cf_alarms[0]["AlarmActions"]) and cf_alarms[0]["AlarmActions"])

waf = client("wafv2", "us-east-1")
acl_ref = [a for a in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] if a["Name"] == "folio-dev"][0]
acl_rules = {r["Name"]: r for r in waf.get_web_acl(Name="folio-dev", Scope="CLOUDFRONT", Id=acl_ref["Id"])["WebACL"]["Rules"]}
crs = acl_rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
check("WAF: SizeRestrictions_BODY of the core rule set counts",
      any(o["Name"] == "SizeRestrictions_BODY" and "Count" in o["ActionToUse"] for o in crs.get("RuleActionOverrides", [])))
check("WAF: body-size rules (upload form, SES hook, other) after the core rule set",
      all(acl_rules.get(f"body-size-{k}", {}).get("Priority", 0) > acl_rules["AWSManagedRulesCommonRuleSet"]["Priority"]
          for k in ["upload-form", "ses-hook", "other"]))

backup = client("backup")
plan = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == "folio-dev"][0]
rule = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"][0]
check("daily backups are copied to the DR region", rule["CopyActions"][0]["DestinationBackupVaultArn"].split(":")[3] == "eu-west-1")
vaults = [backup.describe_backup_vault(BackupVaultName="folio-dev"),
          client("backup", "eu-west-1").describe_backup_vault(BackupVaultName="folio-dev-dr")]
check("both backup vaults are locked (7 days minimum)", all(v.get("Locked") and v.get("MinRetentionDays") == 7 for v in vaults))
notifications = backup.get_backup_vault_notifications(BackupVaultName="folio-dev")
check("the primary vault reports job events to the encrypted backup-events topic",
      notifications["SNSTopicArn"].endswith(":folio-dev-backup-events") and "COPY_JOB_FAILED" in notifications["BackupVaultEvents"]
      and client("sns").get_topic_attributes(TopicArn=notifications["SNSTopicArn"])["Attributes"].get("KmsMasterKeyId"))

failed = [what for what, ok in checks if not ok]
print(f"emulator checks: {len(checks) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
