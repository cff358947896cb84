# The DR composition (prod's stand-in in eu-west-1), planned and applied against mocked
# providers (offline), with what the primary leaves in the DR region as mocked data sources.
mock_provider "aws" {
  source = "../../tests/mocks"
  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "123456789012" }
  }
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../tests/mocks"
}

override_data {
  target = data.aws_kms_alias.primary
  values = { target_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-0000000000d1" }
}

override_data {
  target = data.aws_ecr_repository.primary
  values = { repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/folio-prod" }
}

override_data {
  target = data.aws_secretsmanager_secrets.secret_key
  values = { arns = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:folio-prod/secret-key-CCCCCC"] }
}

override_data {
  target = data.aws_secretsmanager_secrets.origin_verify
  values = { arns = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:folio-prod/origin-verify-DDDDDD"] }
}

override_data {
  target = data.aws_db_snapshot.latest[0]
  values = { db_snapshot_arn = "arn:aws:rds:eu-west-1:123456789012:snapshot:folio-prod-newest-copy" }
}

override_resource {
  target = aws_acm_certificate.origin
  values = {
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-0000000000d2"
    domain_validation_options = [
      { domain_name = "origin.folio.example.org", resource_record_name = "_b.origin.folio.example.org.", resource_record_type = "CNAME", resource_record_value = "_b.acm-validations.aws." },
    ]
  }
}

variables {
  db_snapshot_identifier = "arn:aws:rds:eu-west-1:123456789012:snapshot:folio-prod-drill-copy"
  image_tag              = "sha-0123456"
}

run "restored_from_the_given_snapshot" {
  assert {
    condition     = output.db_snapshot == var.db_snapshot_identifier && module.data.instance_id == "folio-prod-dr"
    error_message = "The DR database folio-prod-dr is restored from the given (copied) snapshot."
  }
  assert {
    condition     = module.data.multi_az && module.data.deletion_protection
    error_message = "Production settings, as the primary's."
  }
}

run "latest_copy_when_no_snapshot_is_given" {
  command = plan
  variables {
    db_snapshot_identifier = null
  }
  assert {
    condition     = output.db_snapshot == "arn:aws:rds:eu-west-1:123456789012:snapshot:folio-prod-newest-copy" && data.aws_db_snapshot.latest[0].db_instance_identifier == "folio-prod" && data.aws_db_snapshot.latest[0].most_recent
    error_message = "Without a snapshot, the newest manual snapshot (copy) of the primary's instance in this region."
  }
}

run "the_primary_replicas" {
  assert {
    condition     = output.image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/folio-prod:sha-0123456" && data.aws_ecr_repository.primary.name == "folio-prod"
    error_message = "The tasks run the primary's image tag from the DR region's ECR replica."
  }
  assert {
    condition     = alltrue([for task in values(module.app.container_secrets) : task.FOLIO_SECRET_KEY == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:folio-prod/secret-key-CCCCCC"]) && module.app.container_secrets.migrate.FOLIO_DATABASE_PASSWORD == "${module.data.master_user_secret_arn}:password::" && module.app.container_environment.web.FOLIO_DATABASE_URL == module.data.app_url && one(data.aws_secretsmanager_secrets.secret_key.filter).values == toset(["folio-prod/secret-key"])
    error_message = "The containers get the primary's replicated secret key; the restored database's own managed master secret for migrate; the app role URL of the DR instance."
  }
  assert {
    condition     = one(data.aws_secretsmanager_secrets.origin_verify.filter).values == toset(["folio-prod/origin-verify"])
    error_message = "The ALB checks the replicated origin-verify value, the one CloudFront sends."
  }
  assert {
    condition     = data.aws_kms_alias.primary.name == "alias/folio-prod"
    error_message = "Encrypted with the primary's key in this region (the one the snapshot copy and the replicas use)."
  }
}

# Names follow folio-prod-dr (IAM roles, buckets, log groups are derived from the same name in
# the modules). The emulator drill (tests/emulator/dr-drill.sh) applies this composition beside
# the primary in one account, where any reused global name would fail the apply.
run "nothing_collides_with_the_primary" {
  assert {
    condition = alltrue([
      module.app.cluster_name == "folio-prod-dr",
      module.data.instance_id == "folio-prod-dr",
      module.app.codedeploy_app_name == "folio-prod-dr",
      module.app.task_definition_families.web == "folio-prod-dr-web",
    ])
    error_message = "Every name is folio-prod-dr…: no cluster, database or CodeDeploy app of the primary is reused."
  }
  assert {
    condition     = aws_acm_certificate.origin.domain_name == "origin.folio.example.org" && module.app.https_certificate_arn == aws_acm_certificate_validation.origin.certificate_arn
    error_message = "The DR ALB has its own certificate for origin.<domain> in the DR region."
  }
  assert {
    condition     = output.origin_record == null
    error_message = "Without take_traffic the DR composition leaves origin.<domain> to the primary."
  }
  assert {
    condition     = module.app.container_environment.web.FOLIO_BASE_URL == "https://folio.example.org"
    error_message = "The same site URL: CloudFront still answers for the domain."
  }
}

run "take_traffic_moves_the_origin" {
  variables {
    take_traffic = true
  }
  assert {
    condition = (
      aws_route53_record.origin[0].name == "origin.folio.example.org" && aws_route53_record.origin[0].allow_overwrite
      && one(aws_route53_record.origin[0].alias).name == module.app.alb_dns_name
    )
    error_message = "take_traffic points origin.<domain> (what the one CloudFront distribution reaches) at the DR ALB."
  }
}

run "email_stays_in_the_primary_region" {
  assert {
    condition     = alltrue([for k, env in module.app.container_environment : env.FOLIO_EMAIL_URL == "ses://eu-central-1?configuration_set=folio-prod"])
    error_message = "SES is not replicated: the tasks send through the primary region's configuration set (jobs retry while it is down)."
  }
}

run "dr_region_differs" {
  command = plan
  variables {
    primary_region = "eu-west-1"
  }
  expect_failures = [var.primary_region]
}

# Issue 16: in the DR region too, the worker scales on the queue and the sidecar publishes into
# this composition's own namespace (its alarms are here).
run "dr_metrics_and_worker_scaling" {
  assert {
    condition     = module.app.worker_scaling.min == var.worker.min && module.app.worker_scaling.max == var.worker.max && var.worker.min >= 1
    error_message = "dr: the worker scales between terraform.tfvars' min and max."
  }
  assert {
    condition     = module.app.metrics.namespace == module.observability.metrics_namespace && endswith(module.observability.metrics_namespace, "-dr") && alltrue([for k in ["web", "worker"] : module.app.metrics.containers[k] == ["folio", "adot-collector"]])
    error_message = "dr: web and worker carry the collector sidecar, publishing into the DR composition's namespace."
  }
}
