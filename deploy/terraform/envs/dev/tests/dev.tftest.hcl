# The whole dev composition, planned and applied against mocked providers (offline).
mock_provider "aws" {
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "dr"
  source = "../../tests/mocks"
}

# ACM's validation records only exist once ACM made them.
override_resource {
  target = module.edge.aws_acm_certificate.alb
  values = {
    arn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-0000000000a1"
    domain_validation_options = [
      { domain_name = "dev.folio.example.org", resource_record_name = "_a.dev.folio.example.org.", resource_record_type = "CNAME", resource_record_value = "_a.acm-validations.aws." },
      { domain_name = "origin.dev.folio.example.org", resource_record_name = "_b.origin.dev.folio.example.org.", resource_record_type = "CNAME", resource_record_value = "_b.acm-validations.aws." },
    ]
  }
}

# The DR region's key, distinct from the primary's, so the replica wiring check can tell them apart.
override_resource {
  target = module.kms_dr.aws_kms_key.this
  values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-0000000000d1" }
}

run "dev_is_small_and_sleeps" {
  assert {
    condition     = !module.data.multi_az && !module.data.deletion_protection && module.data.backup_retention_days >= 7
    error_message = "dev: single-AZ, deletable database, still with a week of PITR."
  }
  assert {
    condition     = module.network.nat_gateway_count == 1 && !module.cache.automatic_failover
    error_message = "dev: one NAT gateway, no cache replica."
  }
  assert {
    condition     = module.app.scheduled_action_count == 4
    error_message = "dev: web and worker scale to zero at night and come back."
  }
  # A deploy that lands at night wakes dev rather than waiting for tasks that never start.
  assert {
    condition     = output.sleeps_at_night && module.deployer.wakes_sleeping_services
    error_message = "dev: deploy.sh is told that dev sleeps (SLEEPS_AT_NIGHT) and its role may wake web and worker."
  }
  assert {
    condition     = module.backup.db_backup_replication_arn == null
    error_message = "dev: no cross-region replication of database backups."
  }
}

run "wiring" {
  assert {
    condition     = module.app.secret_replicas == { (var.dr_region) = module.kms_dr.key_arn } && var.dr_region != var.region
    error_message = "Issue 13: the secret-key and origin-verify secrets have replicas in the DR region, encrypted with the environment's key there."
  }
  assert {
    condition = module.app.container_secrets == {
      web     = { FOLIO_SECRET_KEY = module.app.secret_key_secret_arn }
      worker  = { FOLIO_SECRET_KEY = module.app.secret_key_secret_arn }
      migrate = { FOLIO_SECRET_KEY = module.app.secret_key_secret_arn, FOLIO_DATABASE_PASSWORD = "${module.data.master_user_secret_arn}:password::" }
    }
    error_message = "Only the signing key is a secret for web and worker (IAM logins to the database and cache); migrate also reads the RDS-managed master password."
  }
  assert {
    condition     = module.app.container_environment.web.FOLIO_DATABASE_URL == module.data.app_url && module.app.container_environment.migrate.FOLIO_DATABASE_URL == module.data.migrate_url && module.app.container_environment.worker.FOLIO_CACHE_URL == module.cache.url
    error_message = "web and worker use this environment's app role URL and cache URL; migrate the master user's URL."
  }
  assert {
    condition     = alltrue([for k, env in module.app.container_environment : env.FOLIO_EMAIL_URL == "ses://eu-central-1?configuration_set=folio-dev"])
    error_message = "web, worker and migrate send through the SES v2 API and this environment's configuration set."
  }
  assert {
    condition     = module.app.container_environment.web.FOLIO_SES_TOPIC_ARN == module.email.feedback_topic_arn && !contains(keys(module.app.container_environment.worker), "FOLIO_SES_TOPIC_ARN")
    error_message = "web accepts bounce and complaint notifications from this environment's topic."
  }
  assert {
    condition     = output.email.hook == "https://dev.folio.example.org/hooks/ses" && output.email.subscription != null
    error_message = "SNS delivers to the site's /hooks/ses."
  }
  assert {
    condition     = module.app.rollback_alarm_names == toset(module.observability.rollback_alarm_names)
    error_message = "CodeDeploy rolls back on the observability module's alarms."
  }
  assert {
    condition     = module.backup.events_topic_arn != null && alltrue([for l in values(module.backup.vault_lock) : l.min_retention_days <= var.backup_retention_days && var.backup_retention_days <= l.max_retention_days])
    error_message = "Both backup vaults are locked with a retention range that admits the plan's retention; failed jobs are announced."
  }
  assert {
    condition     = length(module.observability.outage_alarm_names) == 6
    error_message = "Outage alarms exist (ALB 5xx, no healthy targets, tasks below desired, worker heartbeat, CloudFront 5xx rate)."
  }
  assert {
    condition     = module.app.target_group_health_check_paths == { blue = "/readyz", green = "/readyz" }
    error_message = "Both target groups check /readyz."
  }
  assert {
    condition     = module.app.https_certificate_arn == module.edge.alb_certificate_arn
    error_message = "The ALB uses the validated certificate."
  }
  assert {
    condition     = nonsensitive(module.edge.origin_verify_header_name == module.app.origin_verify_header.name)
    error_message = "CloudFront sends the header the ALB's production rule checks."
  }
  assert {
    condition     = length(module.app.test_listener_ingress_cidrs) == module.network.nat_gateway_count
    error_message = "The test listener is open to each NAT gateway's address (the smoke-test task's way to it), nothing else."
  }
  assert {
    condition     = strcontains(output.smoke_network, module.app.smoke_security_group_id) && output.smoke_task_definition == "folio-dev-smoke"
    error_message = "deploy.sh runs the smoke-test task with its own security group in the app subnets."
  }
  assert {
    condition     = output.deployment_events_topic_arn == module.app.deployment_events_topic_arn
    error_message = "The deployment-results topic is an output (to subscribe chat to it)."
  }
  assert {
    condition     = output.site_url == "https://dev.folio.example.org"
    error_message = "The site URL follows the domain."
  }
}

# An environment's first apply: no app serves /hooks/ses yet to confirm the subscription.
run "first_apply_without_hook_subscription" {
  variables {
    ses_hook_subscription = false
  }
  assert {
    condition     = output.email.subscription == null && module.app.container_environment.web.FOLIO_SES_TOPIC_ARN == module.email.feedback_topic_arn
    error_message = "Without the subscription the topic exists and web already knows it (to confirm the later subscription)."
  }
}

# Issue 16: the app's metrics reach CloudWatch through the collector sidecar, the queue alarm reads
# them, and the worker scales on them between this environment's min and max.
run "dev_metrics_and_worker_scaling" {
  assert {
    condition     = module.app.worker_scaling.min == 1 && module.app.worker_scaling.max == 2 && var.worker.min == 1 && var.worker.max == 2
    error_message = "dev: the worker scales between terraform.tfvars' min (1) and max (2)."
  }
  assert {
    condition     = toset([for p in values(module.app.worker_scaling.policies) : join(",", p.metrics)]) == toset(["RunningTaskCount,folio_jobs", "folio_jobs_oldest_queued_age_seconds"]) && alltrue([for p in values(module.app.worker_scaling.policies) : p.scale_in_cooldown > p.scale_out_cooldown])
    error_message = "dev: the worker's target tracking reads queue depth per task and the oldest queued job's age; scale-in is slower than scale-out."
  }
  assert {
    condition     = module.app.metrics.namespace == module.observability.metrics_namespace && module.observability.metrics_namespace == "Folio/folio-dev" && module.app.metrics.log_group_name == module.observability.metrics_log_group_name
    error_message = "dev: the sidecar publishes into the environment's namespace (Folio/folio-dev), through the observability module's log group."
  }
  assert {
    condition     = alltrue([for k in ["web", "worker"] : module.app.metrics.containers[k] == ["folio", "adot-collector"] && module.app.container_environment[k].FOLIO_METRICS_LISTEN == "0.0.0.0:9464"]) && module.app.metrics.containers.migrate == ["folio"]
    error_message = "dev: web and worker listen for metrics on 9464 and carry the collector sidecar; migrate does not."
  }
  assert {
    condition     = module.app.test_listener_port != module.app.metrics.port && !contains(values(module.app.target_group_health_check_paths), "/metrics")
    error_message = "dev: the metrics port is no listener or health check of the ALB."
  }
  assert {
    condition = alltrue([for k in ["queue-depth", "oldest-queued-job"] :
      module.observability.queue_alarms["folio-dev-${k}"].namespace == "Folio/folio-dev" && module.observability.queue_alarms["folio-dev-${k}"].statistic == "Maximum"
    ]) && module.observability.queue_alarms["folio-dev-queue-depth"].metric == "folio_jobs" && module.observability.queue_alarms["folio-dev-queue-depth"].dimensions.state == "queued" && module.observability.queue_alarms["folio-dev-oldest-queued-job"].metric == "folio_jobs_oldest_queued_age_seconds"
    error_message = "dev: the queue alarms read folio_jobs{state=queued} and the oldest queued job's age (Maximum) in the environment's namespace."
  }
  assert {
    condition     = alltrue([for k in ["web", "worker"] : module.app.container_environment[k].FOLIO_SITE_NAME == "Folio (dev)" && module.app.container_environment[k].FOLIO_SITE_DESCRIPTION == var.site_description])
    error_message = "dev: web and worker get the environment's site name and description."
  }
}
