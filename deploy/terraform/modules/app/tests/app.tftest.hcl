# Offline: the AWS provider is mocked (shared ARN-valid defaults in tests/mocks).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                      = "folio-test"
  vpc_id                    = "vpc-0123456789abcdef0"
  public_subnet_ids         = ["subnet-pub-a", "subnet-pub-b"]
  app_subnet_ids            = ["subnet-app-a", "subnet-app-b"]
  alb_security_group_id     = "sg-alb"
  app_security_group_id     = "sg-app"
  certificate_arn           = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-00000000000c"
  kms_key_arn               = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  logs_bucket_id            = "folio-test-logs"
  log_group_names           = { web = "/folio/t/web", worker = "/folio/t/worker", migrate = "/folio/t/migrate" }
  base_url                  = "https://folio.example.org"
  email_from                = "Folio <no-reply@folio.example.org>"
  media_bucket_id           = "folio-test-media"
  media_bucket_arn          = "arn:aws:s3:::folio-test-media"
  ses_identity_arn          = "arn:aws:ses:eu-central-1:123456789012:identity/folio.example.org"
  ses_configuration_set_arn = "arn:aws:ses:eu-central-1:123456789012:configuration-set/folio-test"
  email_url                 = "ses://eu-central-1?configuration_set=folio-test"
  ses_topic_arns            = ["arn:aws:sns:eu-central-1:123456789012:folio-test-ses-feedback"]
  database = {
    app_url                = "postgres://folio_app@db.x.eu-central-1.rds.amazonaws.com:5432/folio?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-ca-bundle.pem"
    app_username           = "folio_app"
    app_user_arn           = "arn:aws:rds-db:eu-central-1:123456789012:dbuser:db-ABC/folio_app"
    migrate_url            = "postgres://folio@db.x.eu-central-1.rds.amazonaws.com:5432/folio?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-ca-bundle.pem"
    master_user_secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1234-AAAAAA"
  }
  cache = {
    url          = "rediss://folio-test-app@cache.x.euc1.cache.amazonaws.com:6379"
    connect_arns = ["arn:aws:elasticache:eu-central-1:123456789012:replicationgroup:folio-test", "arn:aws:elasticache:eu-central-1:123456789012:user:folio-test-app"]
  }
  web               = { cpu = 256, memory = 512, min = 2, max = 6, cpu_target = 60, requests_per_target = 1000 }
  worker            = { cpu = 256, memory = 512, min = 1, max = 4 }
  site_name         = "Folio (test)"
  site_description  = "A test site."
  metrics_namespace = "Folio/folio-test"
  # The observability module's log group (its name; the task role's ARN is built from it).
  metrics_log_group_name = "/folio/folio-test/metrics"
  rollback_alarm_names   = ["folio-test-app-5xx", "folio-test-unhealthy-blue"]
  smoke_test_url         = "https://origin.folio.example.org:8443"
}

run "load_balancer" {
  assert {
    condition     = alltrue([for tg in aws_lb_target_group.this : tg.health_check[0].path == "/readyz" && tg.port == 8000 && tg.target_type == "ip"])
    error_message = "Both target groups must check /readyz on the app port."
  }
  assert {
    condition     = toset(keys(aws_lb_target_group.this)) == toset(["blue", "green"])
    error_message = "Blue/green needs exactly two target groups."
  }
  assert {
    condition     = aws_lb_listener.http.port == 80 && aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].port == "443"
    error_message = "HTTP must only redirect to HTTPS."
  }
  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && aws_lb_listener.https.certificate_arn == var.certificate_arn && startswith(aws_lb_listener.https.ssl_policy, "ELBSecurityPolicy-TLS13")
    error_message = "The production listener must be HTTPS with a TLS 1.3 policy and our certificate."
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && aws_lb.this.access_logs[0].enabled
    error_message = "The ALB drops invalid headers and writes access logs."
  }
}

run "services_and_tasks" {
  assert {
    condition     = aws_ecs_service.web.deployment_controller[0].type == "CODE_DEPLOY"
    error_message = "web is deployed blue/green by CodeDeploy."
  }
  assert {
    condition     = !one(aws_ecs_service.web.network_configuration).assign_public_ip && !one(aws_ecs_service.worker.network_configuration).assign_public_ip
    error_message = "Tasks have no public IP."
  }
  assert {
    condition     = one(aws_ecs_service.web.load_balancer).container_port == 8000 && one(aws_ecs_service.web.load_balancer).target_group_arn == aws_lb_target_group.this["blue"].arn
    error_message = "web starts on the blue target group."
  }
  assert {
    condition     = [for k in ["web", "worker", "migrate"] : jsondecode(aws_ecs_task_definition.this[k].container_definitions)[0].command[0]] == ["serve", "worker", "migrate"]
    error_message = "One image, three commands: serve, worker, migrate."
  }
  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : jsondecode(td.container_definitions)[0].readonlyRootFilesystem])
    error_message = "Containers run with a read-only root file system."
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["web"].container_definitions)[0].environment, { name = "FOLIO_WORKER", value = "off" })
    error_message = "Web tasks do not run jobs (the worker service does)."
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["web"].container_definitions)[0].environment, { name = "FOLIO_BASE_URL", value = "https://folio.example.org" })
    error_message = "FOLIO_BASE_URL is the public https URL."
  }
}

run "secrets_wiring" {
  assert {
    condition = alltrue([for task in ["web", "worker"] :
      { for s in jsondecode(aws_ecs_task_definition.this[task].container_definitions)[0].secrets : s.name => s.valueFrom } == { FOLIO_SECRET_KEY = aws_secretsmanager_secret.secret_key.arn }
    ])
    error_message = "web and worker get one secret, the signing key: no database or cache password exists for them."
  }
  assert {
    condition = { for s in jsondecode(aws_ecs_task_definition.this["migrate"].container_definitions)[0].secrets : s.name => s.valueFrom } == {
      FOLIO_SECRET_KEY        = aws_secretsmanager_secret.secret_key.arn
      FOLIO_DATABASE_PASSWORD = "${var.database.master_user_secret_arn}:password::"
    }
    error_message = "migrate also gets the master password: the password key of the RDS-managed secret."
  }
  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : length([for e in jsondecode(td.container_definitions)[0].environment : e if contains(["FOLIO_DATABASE_PASSWORD", "FOLIO_SECRET_KEY"], e.name)]) == 0])
    error_message = "No secret is passed as a plain environment variable."
  }
  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : !contains([for s in jsondecode(td.container_definitions)[0].secrets : s.name], "FOLIO_EMAIL_URL")])
    error_message = "FOLIO_EMAIL_URL is no secret any more (no credentials in it)."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.execution_secrets.policy).Statement[0].Resource) == toset([var.database.master_user_secret_arn, aws_secretsmanager_secret.secret_key.arn])
    error_message = "The execution role reads exactly these secrets and no others."
  }
}

# Issue 13: secrets out of Terraform state, and the app not the master user.
run "no_secret_values_in_state_and_least_privilege_logins" {
  assert {
    condition = alltrue([for task in ["web", "worker"] : {
      for e in jsondecode(aws_ecs_task_definition.this[task].container_definitions)[0].environment : e.name => e.value if startswith(e.name, "FOLIO_DATABASE_") || e.name == "FOLIO_CACHE_URL"
      } == {
      FOLIO_DATABASE_URL  = var.database.app_url
      FOLIO_DATABASE_AUTH = "iam"
      FOLIO_CACHE_URL     = var.cache.url
    }])
    error_message = "web and worker log in as the app role with IAM tokens (no password anywhere)."
  }
  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.this["migrate"].container_definitions)[0].environment : e.name => e.value if startswith(e.name, "FOLIO_DATABASE_")
      } == {
      FOLIO_DATABASE_URL      = var.database.migrate_url
      FOLIO_DATABASE_APP_ROLE = "folio_app"
    }
    error_message = "migrate logs in as the master user and (re)creates the app role with row access only."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "DatabaseLogin"]) == {
      Sid = "DatabaseLogin", Effect = "Allow", Action = "rds-db:connect", Resource = var.database.app_user_arn
    }
    error_message = "The task role may get tokens for the app role on this instance, nothing else."
  }
  assert {
    condition     = toset(one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Resource if s.Sid == "CacheLogin"])) == toset(var.cache.connect_arns)
    error_message = "elasticache:Connect only as the app's cache user on this replication group."
  }
}

run "a_password_in_a_database_url_is_refused" {
  command = plan
  variables {
    database = {
      app_url                = format("postgres://%s@db/folio", "folio_app:hunter2")
      app_username           = "folio_app"
      app_user_arn           = "arn:aws:rds-db:eu-central-1:123456789012:dbuser:db-ABC/folio_app"
      migrate_url            = "postgres://folio@db/folio"
      master_user_secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1234-AAAAAA"
    }
  }
  expect_failures = [var.database]
}

# Email goes through the SES v2 API with the task role: a plain ses:// URL on every task, a
# send-only permission on the identity and the configuration set, and the bounce/complaint
# topic for web's /hooks/ses.
run "email_through_the_task_role" {
  assert {
    condition = alltrue([for td in aws_ecs_task_definition.this :
      length([for e in jsondecode(td.container_definitions)[0].environment : e if e.name == "FOLIO_EMAIL_URL" && startswith(e.value, "ses://")]) == 1
    ])
    error_message = "web, worker and migrate get FOLIO_EMAIL_URL=ses://… as a plain environment variable."
  }
  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["web"].container_definitions)[0].environment, { name = "FOLIO_SES_TOPIC_ARN", value = "arn:aws:sns:eu-central-1:123456789012:folio-test-ses-feedback" })
    error_message = "web accepts SES notifications from the feedback topic."
  }
  assert {
    condition     = alltrue([for k in ["worker", "migrate"] : !contains([for e in jsondecode(aws_ecs_task_definition.this[k].container_definitions)[0].environment : e.name], "FOLIO_SES_TOPIC_ARN")])
    error_message = "Only web serves /hooks/ses."
  }
  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : td.task_role_arn == aws_iam_role.task.arn])
    error_message = "Every task sends with the task role."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "SendEmail"]) == {
      Sid       = "SendEmail"
      Effect    = "Allow"
      Action    = ["ses:SendEmail", "ses:SendRawEmail"]
      Resource  = [var.ses_identity_arn, var.ses_configuration_set_arn]
      Condition = { StringEquals = { "ses:FromAddress" = "no-reply@folio.example.org" } }
    }
    error_message = "The task role may send (SES v2 SendEmail) as the identity through the configuration set, from FOLIO_EMAIL_FROM's address only."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "CheckEmail"]).Action == ["ses:GetEmailIdentity", "ses:GetConfigurationSet"]
    error_message = "`folio check` may read the identity's and the configuration set's status."
  }
  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : [for a in flatten([s.Action]) : a if startswith(a, "ses:")]])) == toset(["ses:SendEmail", "ses:SendRawEmail", "ses:GetEmailIdentity", "ses:GetConfigurationSet"])
    error_message = "No other SES permission."
  }
}

run "bare_from_address" {
  variables {
    email_from = "no-reply@folio.example.org"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "SendEmail"]).Condition.StringEquals["ses:FromAddress"] == "no-reply@folio.example.org"
    error_message = "A from address without a display name is the condition as is."
  }
}

run "hook_off_without_topics" {
  variables {
    ses_topic_arns = []
  }
  assert {
    condition     = !contains([for e in jsondecode(aws_ecs_task_definition.this["web"].container_definitions)[0].environment : e.name], "FOLIO_SES_TOPIC_ARN")
    error_message = "Without topics FOLIO_SES_TOPIC_ARN stays unset (the endpoint answers 404)."
  }
}

run "no_credentials_in_email_url" {
  command = plan
  variables {
    # checkov:skip=CKV_SECRET_4:A made-up URL that the validation must refuse, not a credential.
    email_url = "smtps://AKIAEXAMPLE:secret@email-smtp.eu-central-1.amazonaws.com:465"
  }
  expect_failures = [var.email_url]
}

run "rollback_wiring" {
  assert {
    condition     = aws_codedeploy_deployment_group.web.alarm_configuration[0].enabled && aws_codedeploy_deployment_group.web.alarm_configuration[0].alarms == toset(var.rollback_alarm_names)
    error_message = "CodeDeploy watches the rollback alarms."
  }
  assert {
    condition     = aws_codedeploy_deployment_group.web.auto_rollback_configuration[0].enabled && contains(aws_codedeploy_deployment_group.web.auto_rollback_configuration[0].events, "DEPLOYMENT_STOP_ON_ALARM")
    error_message = "An alarm during a deployment rolls it back."
  }
  assert {
    condition     = aws_codedeploy_deployment_group.web.deployment_style[0].deployment_type == "BLUE_GREEN"
    error_message = "Deployments are blue/green."
  }
}

run "registry_and_scaling" {
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push && aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Images are scanned on push and tags never move."
  }
  assert {
    condition     = aws_appautoscaling_target.web.min_capacity == 2 && aws_appautoscaling_target.web.max_capacity == 6
    error_message = "web scales between min and max."
  }
  assert {
    condition     = aws_appautoscaling_policy.web_cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization"
    error_message = "web scales on CPU."
  }
  assert {
    condition = toset(flatten([for m in aws_appautoscaling_policy.web_requests.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
    [for s in m.metric_stat : [for d in s.metric[0].dimensions : d.value if d.name == "TargetGroup"]]])) == toset([for tg in aws_lb_target_group.this : tg.arn_suffix])
    error_message = "web scales on requests counted over both blue and green target groups (live traffic moves between them)."
  }
  assert {
    condition     = length(aws_appautoscaling_scheduled_action.down) == 0
    error_message = "No night-time scale-down without a schedule."
  }
}

run "scheduled_scale_down" {
  variables {
    scale_down_schedule = { down = "cron(0 20 ? * MON-FRI *)", up = "cron(0 7 ? * MON-FRI *)" }
  }
  assert {
    condition     = length(aws_appautoscaling_scheduled_action.down) == 2 && aws_appautoscaling_scheduled_action.down["web"].scalable_target_action[0].max_capacity == "0"
    error_message = "With a schedule, web and worker go to zero at night."
  }
  assert {
    condition     = aws_appautoscaling_scheduled_action.up["web"].scalable_target_action[0].min_capacity == "2"
    error_message = "In the morning web returns to its minimum."
  }
}

# The pipeline owns the image tag: a new tag gives new task definitions, but the services keep
# the revision they run (ignore_changes) until the pipeline deploys one.
run "first_apply" {
  assert {
    condition     = aws_ecs_service.web.task_definition == aws_ecs_task_definition.this["web"].arn
    error_message = "The service starts on Terraform's first revision."
  }
}

run "image_tag_belongs_to_the_pipeline" {
  command = plan
  variables {
    image_tag = "0123abc"
  }
  # A real provider replaces a task definition whose image changes; the mock only updates it
  # in place, so the test asks for the replacement: the new ARN is then unknown at plan time, and
  # only ignore_changes keeps the services' value known and equal to the first revision.
  plan_options {
    replace = [aws_ecs_task_definition.this["web"], aws_ecs_task_definition.this["worker"]]
  }
  assert {
    condition     = aws_ecs_service.web.task_definition == run.first_apply.task_definition_arns["web"] && aws_ecs_service.worker.task_definition == run.first_apply.task_definition_arns["worker"]
    error_message = "Terraform must not move the services to a task definition it registered (ignore_changes = [task_definition])."
  }
}

run "https_only_base_url" {
  command = plan
  variables {
    base_url = "http://folio.example.org"
  }
  expect_failures = [var.base_url]
}

# The issue's WAF bypass: only requests with CloudFront's secret header reach the app.
run "origin_verify_blocks_waf_bypass" {
  override_data {
    target = data.aws_secretsmanager_secret_version.origin_verify
    # checkov:skip=CKV_SECRET_6:A made-up test value for the mocked provider, not a credential.
    values = { secret_string = "current-origin-secret" }
  }
  assert {
    condition     = aws_lb_listener.https.default_action[0].type == "fixed-response" && aws_lb_listener.https.default_action[0].fixed_response[0].status_code == "403"
    error_message = "Without the origin-verify header the production listener must answer a fixed 403 (no forward in the default action)."
  }
  assert {
    condition     = aws_lb_listener_rule.origin_verify.listener_arn == aws_lb_listener.https.arn && aws_lb_listener_rule.origin_verify.priority == 1
    error_message = "The header rule sits on the production listener, first."
  }
  assert {
    condition     = one(aws_lb_listener_rule.origin_verify.condition).http_header[0].http_header_name == "X-Origin-Verify" && one(aws_lb_listener_rule.origin_verify.condition).http_header[0].values == toset(["current-origin-secret"])
    error_message = "The rule forwards only requests carrying the current secret value in X-Origin-Verify."
  }
  assert {
    condition     = aws_lb_listener_rule.origin_verify.action[0].type == "forward" && aws_lb_listener_rule.origin_verify.action[0].target_group_arn == aws_lb_target_group.this["blue"].arn
    error_message = "The header rule forwards to the live (initially blue) target group."
  }
  assert {
    condition     = output.origin_verify_header.name == "X-Origin-Verify" && output.origin_verify_header.value == "current-origin-secret"
    error_message = "CloudFront (edge) gets the same header name and value that the rule checks."
  }
  assert {
    condition     = aws_secretsmanager_secret_version.origin_verify.secret_id == aws_secretsmanager_secret.origin_verify.id && aws_secretsmanager_secret.origin_verify.kms_key_id == var.kms_key_arn && aws_secretsmanager_secret.origin_verify.name == "folio-test/origin-verify"
    error_message = "The value lives in its own KMS-encrypted Secrets Manager secret (the rotation runbook's source of truth)."
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.test_listener) == 0
    error_message = "Without source CIDRs the test listener stays closed."
  }
}

# Zero-downtime rotation: for a while the ALB accepts the new and the previous value.
run "origin_verify_rotation_accepts_two_values" {
  command = plan
  variables {
    origin_verify_accept_previous = true
  }
  override_data {
    target = data.aws_secretsmanager_secret_version.origin_verify
    # checkov:skip=CKV_SECRET_6:A made-up test value for the mocked provider, not a credential.
    values = { secret_string = "new-origin-secret" }
  }
  override_data {
    target = data.aws_secretsmanager_secret_version.origin_verify_previous[0]
    # checkov:skip=CKV_SECRET_6:A made-up test value for the mocked provider, not a credential.
    values = { secret_string = "old-origin-secret" }
  }
  assert {
    condition     = one(aws_lb_listener_rule.origin_verify.condition).http_header[0].values == toset(["new-origin-secret", "old-origin-secret"])
    error_message = "During a rotation the rule accepts both AWSCURRENT and AWSPREVIOUS."
  }
  assert {
    condition     = output.origin_verify_header.value == "new-origin-secret"
    error_message = "CloudFront always sends AWSCURRENT."
  }
}

# Issue item 2: ECS refuses network changes on a CODE_DEPLOY service outside a deployment.
run "codedeploy_owns_network_configuration" {
  command = plan
  variables {
    app_subnet_ids = ["subnet-app-c"]
  }
  assert {
    condition     = aws_ecs_service.web.network_configuration[0].subnets == toset(["subnet-app-a", "subnet-app-b"])
    error_message = "Terraform must leave web's network configuration to CodeDeploy (ignore_changes = [network_configuration]); it goes out with the next deployment."
  }
  assert {
    condition     = aws_ecs_service.worker.network_configuration[0].subnets == toset(["subnet-app-c"])
    error_message = "The rolling worker service still takes network changes from Terraform."
  }
}

run "target_groups_replace_safely" {
  assert {
    condition     = aws_lb_target_group.this["blue"].name_prefix == "blue-" && aws_lb_target_group.this["green"].name_prefix == "green-"
    error_message = "Target groups take a name_prefix, so a replacement can be created before the old one is destroyed."
  }
  assert {
    condition     = alltrue([for k, tg in aws_lb_target_group.this : tg.tags["Name"] == "folio-test-${k}"])
    error_message = "Each target group is still named (tag) after its environment and colour."
  }
}

run "test_listener_for_smoke_test" {
  variables {
    test_listener_source_cidrs = ["198.51.100.7/32"]
    initial_live_target_group  = "green"
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.test_listener : [r.cidr_ipv4, r.from_port, r.to_port, r.security_group_id]] == [["198.51.100.7/32", 8443, 8443, "sg-alb"]]
    error_message = "Only the given NAT addresses reach the test listener, on 8443 only."
  }
  assert {
    condition     = aws_lb_listener_rule.origin_verify.action[0].target_group_arn == aws_lb_target_group.this["green"].arn && aws_lb_listener.test.default_action[0].target_group_arn == aws_lb_target_group.this["blue"].arn
    error_message = "initial_live_target_group picks which colour the production rule starts on; the test listener gets the other."
  }
}

# Issue item 3: the smoke test runs on the replacement tasks before traffic moves.
run "deployment_waits_for_the_smoke_test" {
  assert {
    condition     = aws_codedeploy_deployment_group.web.blue_green_deployment_config[0].deployment_ready_option[0].action_on_timeout == "STOP_DEPLOYMENT" && aws_codedeploy_deployment_group.web.blue_green_deployment_config[0].deployment_ready_option[0].wait_time_in_minutes == 30
    error_message = "A web deployment waits on the test listener until the pipeline continues it, and stops (rolls back) if nobody does."
  }
  assert {
    condition     = contains(aws_codedeploy_deployment_group.web.auto_rollback_configuration[0].events, "DEPLOYMENT_STOP_ON_REQUEST") && contains(aws_codedeploy_deployment_group.web.auto_rollback_configuration[0].events, "DEPLOYMENT_FAILURE")
    error_message = "A stopped deployment (failed smoke test) rolls back."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.smoke.container_definitions)[0].environment == [{ name = "SMOKE_URL", value = "https://origin.folio.example.org:8443" }] && aws_lb_listener.test.port == 8443
    error_message = "The smoke-test task targets the test listener (replacement tasks), not the public URL."
  }
  assert {
    condition     = toset([for r in aws_vpc_security_group_egress_rule.smoke : r.from_port]) == toset([443, 8443]) && length(aws_security_group.smoke.ingress) == 0
    error_message = "The smoke-test task may only reach HTTPS and the test listener, and accepts nothing."
  }
}

run "deployment_events_to_sns" {
  assert {
    condition     = one(aws_codedeploy_deployment_group.web.trigger_configuration).trigger_target_arn == aws_sns_topic.deployments.arn && one(aws_codedeploy_deployment_group.web.trigger_configuration).trigger_events == toset(["DeploymentSuccess", "DeploymentFailure", "DeploymentStop", "DeploymentRollback"])
    error_message = "CodeDeploy reports success, failure, stop and rollback of web deployments to the deployments topic."
  }
  assert {
    condition     = aws_sns_topic.deployments.kms_master_key_id == var.kms_key_arn && contains([for s in jsondecode(aws_iam_role_policy.codedeploy_notify.policy).Statement : s.Action], "sns:Publish")
    error_message = "The topic is encrypted with our key and CodeDeploy's role may publish to it."
  }
}

# Confused deputy: every role a service assumes names this account; the execution role may use
# the key only through Secrets Manager (issue 13).
run "service_roles_name_the_account" {
  assert {
    condition = alltrue([for p in [aws_iam_role.execution.assume_role_policy, aws_iam_role.task.assume_role_policy, aws_iam_role.codedeploy.assume_role_policy] :
    alltrue([for s in jsondecode(p).Statement : s.Condition.StringEquals["aws:SourceAccount"] == "123456789012"])])
    error_message = "The ECS task roles and the CodeDeploy role trust their service only on behalf of this account (aws:SourceAccount)."
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.execution_secrets.policy).Statement :
    s.Condition.StringEquals["kms:ViaService"] == "secretsmanager.eu-central-1.amazonaws.com" if anytrue([for a in flatten([s.Action]) : startswith(a, "kms:")])])
    error_message = "The execution role decrypts with the key only through Secrets Manager (kms:ViaService)."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution_secrets.policy).Statement : s if contains(flatten([s.Action]), "kms:Decrypt")]) == 1
    error_message = "One kms:Decrypt statement, the conditioned one."
  }
}

# Issue 13: the secret key and the origin-verify value have read-only replicas in the DR region,
# encrypted with that region's key; without replica regions there are none.
run "secret_replicas_in_the_dr_region" {
  command = plan
  variables {
    secret_replicas = { "eu-west-1" = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-0000000000d1" }
  }
  assert {
    condition = alltrue([for s in [aws_secretsmanager_secret.secret_key, aws_secretsmanager_secret.origin_verify] :
      length(s.replica) == 1 && one(s.replica).region == "eu-west-1" && one(s.replica).kms_key_id == var.secret_replicas["eu-west-1"]
    ])
    error_message = "Both secrets are replicated to the DR region with the DR region's key."
  }
}

run "no_secret_replicas_by_default" {
  command = plan
  assert {
    condition     = length(aws_secretsmanager_secret.secret_key.replica) == 0 && length(aws_secretsmanager_secret.origin_verify.replica) == 0
    error_message = "No replicas unless a region is given."
  }
  assert {
    condition     = output.image == "${aws_ecr_repository.this.repository_url}:bootstrap"
    error_message = "By default the tasks run this module's own repository's image."
  }
}

# Issue 13: in the DR composition the tasks use the primary's replicas (image, secret key,
# origin-verify value) instead of this module's own.
run "dr_uses_the_primary_replicas" {
  command = plan
  variables {
    image_repository_url     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/folio-prod"
    secret_key_secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:folio-prod/secret-key-CCCCCC"
    origin_verify_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:folio-prod/origin-verify-DDDDDD"
  }
  assert {
    condition     = alltrue([for td in aws_ecs_task_definition.this : startswith(jsondecode(td.container_definitions)[0].image, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/folio-prod:")])
    error_message = "The tasks pull the image from the given (DR replica) repository."
  }
  assert {
    condition     = alltrue([for task in values(output.container_secrets) : task.FOLIO_SECRET_KEY == var.secret_key_secret_arn])
    error_message = "FOLIO_SECRET_KEY is the replicated secret."
  }
  assert {
    condition     = data.aws_secretsmanager_secret_version.origin_verify.secret_id == var.origin_verify_secret_arn
    error_message = "The ALB checks the value of the replicated origin-verify secret (what CloudFront sends)."
  }
}

# --- issue 16: metrics, the collector sidecar, queue-driven worker scaling, site settings ----------

run "metrics_sidecar_in_web_and_worker" {
  assert {
    condition = alltrue([for k in ["web", "worker"] :
      contains(jsondecode(aws_ecs_task_definition.this[k].container_definitions)[0].environment, { name = "FOLIO_METRICS_LISTEN", value = "0.0.0.0:9464" })
    ])
    error_message = "web and worker serve Prometheus metrics on FOLIO_METRICS_LISTEN=0.0.0.0:9464."
  }
  assert {
    condition = alltrue([for k in ["web", "worker"] :
      [for c in jsondecode(aws_ecs_task_definition.this[k].container_definitions) : [c.name, c.essential]] == [["folio", true], ["adot-collector", false]]
    ])
    error_message = "web and worker: the app first (deploy.sh sets containerDefinitions[0]'s image), then the ADOT collector, not essential (it can never stop the app)."
  }
  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.this["migrate"].container_definitions) : c.name] == ["folio"] && !contains([for e in jsondecode(aws_ecs_task_definition.this["migrate"].container_definitions)[0].environment : e.name], "FOLIO_METRICS_LISTEN")
    error_message = "migrate is a one-off: no metrics listener, no sidecar."
  }
  assert {
    condition = alltrue(flatten([for k in ["web", "worker"] : [
      alltrue([for c in jsondecode(aws_ecs_task_definition.this[k].container_definitions) : c.readonlyRootFilesystem if c.name == "adot-collector"]),
      one([for c in jsondecode(aws_ecs_task_definition.this[k].container_definitions) : c.image if c.name == "adot-collector"]) == "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3",
      one([for c in jsondecode(aws_ecs_task_definition.this[k].container_definitions) : c.memory if c.name == "adot-collector"]) <= local.sizes[k].memory,
    ]]))
    error_message = "The collector: pinned ECR Public image, read-only root, a memory limit within the task's."
  }
  assert {
    condition = alltrue(flatten([for k in ["web", "worker"] : [
      yamldecode(local.collector_config[k]).receivers.prometheus.config.scrape_configs[0].static_configs[0] == { targets = ["localhost:9464"], labels = { ClusterName = "folio-test", ServiceName = k } },
      yamldecode(local.collector_config[k]).exporters.awsemf.namespace == "Folio/folio-test",
      yamldecode(local.collector_config[k]).exporters.awsemf.log_group_name == "/folio/folio-test/metrics",
      yamldecode(local.collector_config[k]).exporters.awsemf.dimension_rollup_option == "NoDimensionRollup",
      !yamldecode(local.collector_config[k]).exporters.awsemf.resource_to_telemetry_conversion.enabled,
      yamldecode(local.collector_config[k]).service.pipelines.metrics.exporters == ["awsemf"],
      one([for e in one([for c in jsondecode(aws_ecs_task_definition.this[k].container_definitions) : c.environment if c.name == "adot-collector"]) : e.value if e.name == "AOT_CONFIG_CONTENT"]) == local.collector_config[k],
    ]]))
    error_message = "The collector scrapes localhost:9464 and exports with awsemf to Folio/<name> through the metrics log group, with its ServiceName label, no dimension roll-up and no resource attributes as dimensions; its config is AOT_CONFIG_CONTENT."
  }
  assert {
    # Every declared dimension is a static scrape label or one of the app's bounded labels.
    condition     = alltrue([for d in flatten([for m in local.metric_declarations : m.dimensions]) : contains(["ClusterName", "ServiceName", "state", "status", "kind", "outcome", "result", "source", "limit"], d)])
    error_message = "No per-task dimension (task id, instance, image): the metrics stay bounded across deploys and scaling."
  }
  assert {
    condition     = one([for m in local.metric_declarations : m.dimensions if contains(m.metric_name_selectors, "^folio_jobs$")]) == [["ClusterName", "state"]]
    error_message = "folio_jobs is one series per state across the cluster (web and worker both publish it): the queue alarm and the worker scaling read it."
  }
}

run "metrics_port_is_not_exposed" {
  assert {
    condition = alltrue(flatten([for td in aws_ecs_task_definition.this : [for c in jsondecode(td.container_definitions) :
    [for p in c.portMappings : p.containerPort != 9464] if can(c.portMappings)]]))
    error_message = "No container maps the metrics port (the sidecar reads it over localhost)."
  }
  assert {
    condition     = alltrue([for tg in aws_lb_target_group.this : tg.port != 9464 && tg.health_check[0].port != "9464"]) && !contains([aws_lb_listener.http.port, aws_lb_listener.https.port, aws_lb_listener.test.port], 9464)
    error_message = "No target group, health check or ALB listener uses the metrics port."
  }
  assert {
    condition = alltrue(concat(
      [for r in aws_vpc_security_group_ingress_rule.test_listener : !(r.from_port <= 9464 && r.to_port >= 9464)],
      [for r in aws_vpc_security_group_egress_rule.smoke : !(r.from_port <= 9464 && r.to_port >= 9464)],
    ))
    error_message = "No security group rule of this module opens the metrics port (the network module's are tested there)."
  }
  assert {
    condition     = one(aws_ecs_service.web.load_balancer).container_port == 8000
    error_message = "The ALB reaches the app port only."
  }
}

run "metrics_permissions" {
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "MetricsNamespace"]) == {
      Sid       = "MetricsNamespace", Effect = "Allow", Action = "cloudwatch:PutMetricData", Resource = "*"
      Condition = { StringEquals = { "cloudwatch:namespace" = "Folio/folio-test" } }
    }
    error_message = "The tasks may put metrics into their environment's namespace only."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s if s.Sid == "MetricsEmfLogs"]).Resource == [
      "arn:aws:logs:eu-central-1:123456789012:log-group:/folio/folio-test/metrics",
      "arn:aws:logs:eu-central-1:123456789012:log-group:/folio/folio-test/metrics:log-stream:*",
    ]
    error_message = "EMF records go to the metrics log group only; no logs:CreateLogGroup."
  }
  assert {
    condition     = !contains(flatten([for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Action]), "logs:CreateLogGroup")
    error_message = "The log group is Terraform's (retention, KMS): the collector may not create one."
  }
}

run "worker_scales_on_the_queue" {
  assert {
    condition     = aws_appautoscaling_target.worker.min_capacity == 1 && aws_appautoscaling_target.worker.max_capacity == 4 && aws_ecs_service.worker.desired_count == 1
    error_message = "The worker scales between the environment's min and max and starts at min."
  }
  assert {
    condition = alltrue([for p in [aws_appautoscaling_policy.worker_queue, aws_appautoscaling_policy.worker_oldest_job] :
      p.policy_type == "TargetTrackingScaling" && p.resource_id == aws_appautoscaling_target.worker.resource_id
      && p.target_tracking_scaling_policy_configuration[0].scale_in_cooldown > p.target_tracking_scaling_policy_configuration[0].scale_out_cooldown
    ])
    error_message = "Two target-tracking policies on the worker service; scale-in waits longer than scale-out."
  }
  assert {
    condition = [for m in aws_appautoscaling_policy.worker_queue.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
      [m.metric_stat[0].metric[0].namespace, m.metric_stat[0].metric[0].metric_name, m.metric_stat[0].stat, { for d in m.metric_stat[0].metric[0].dimensions : d.name => d.value }]
    if m.id == "queued"] == [["Folio/folio-test", "folio_jobs", "Maximum", { ClusterName = "folio-test", state = "queued" }]]
    error_message = "Queue depth is folio_jobs{state=queued}, Maximum across tasks, in the environment's namespace."
  }
  assert {
    condition     = one([for m in aws_appautoscaling_policy.worker_queue.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : m.expression if m.return_data]) == "FILL(queued, 0) / MAX([FILL(tasks, 1), 1])" && aws_appautoscaling_policy.worker_queue.target_tracking_scaling_policy_configuration[0].target_value == 20
    error_message = "The queue policy tracks queued jobs per running worker task (default target 20)."
  }
  assert {
    condition = [for m in aws_appautoscaling_policy.worker_oldest_job.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics :
      [m.metric_stat[0].metric[0].namespace, m.metric_stat[0].metric[0].metric_name, m.metric_stat[0].stat]
    ] == [["Folio/folio-test", "folio_jobs_oldest_queued_age_seconds", "Maximum"]] && aws_appautoscaling_policy.worker_oldest_job.target_tracking_scaling_policy_configuration[0].target_value == 120
    error_message = "The second policy tracks the oldest queued job's age (default target 120 s)."
  }
  assert {
    condition     = output.worker_scaling.min == 1 && output.worker_scaling.max == 4 && length(output.worker_scaling.policies) == 2
    error_message = "The output reports the worker's scaling."
  }
}

run "worker_min_below_one_is_refused" {
  command = plan
  variables {
    worker = { cpu = 256, memory = 512, min = 0, max = 2 }
  }
  expect_failures = [var.worker]
}

run "worker_max_below_min_is_refused" {
  command = plan
  variables {
    worker = { cpu = 256, memory = 512, min = 3, max = 2 }
  }
  expect_failures = [var.worker]
}

run "worker_scale_in_faster_than_out_is_refused" {
  command = plan
  variables {
    worker = { cpu = 256, memory = 512, min = 1, max = 2, scale_in_cooldown = 30, scale_out_cooldown = 60 }
  }
  expect_failures = [var.worker]
}

run "collector_image_must_be_pinned" {
  command = plan
  variables {
    metrics_collector = { image = "public.ecr.aws/aws-observability/aws-otel-collector:latest" }
  }
  expect_failures = [var.metrics_collector]
}

run "site_settings" {
  assert {
    condition = alltrue([for k in ["web", "worker"] :
      contains(jsondecode(aws_ecs_task_definition.this[k].container_definitions)[0].environment, { name = "FOLIO_SITE_NAME", value = "Folio (test)" })
      && contains(jsondecode(aws_ecs_task_definition.this[k].container_definitions)[0].environment, { name = "FOLIO_SITE_DESCRIPTION", value = "A test site." })
    ])
    error_message = "web and worker get FOLIO_SITE_NAME and FOLIO_SITE_DESCRIPTION (pages and emails)."
  }
}

run "empty_site_name_is_refused" {
  command = plan
  variables {
    site_name = "  "
  }
  expect_failures = [var.site_name]
}
