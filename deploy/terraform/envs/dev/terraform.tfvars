# dev: one NAT gateway, single-AZ database and cache, sleeps at night.
environment        = "dev"
region             = "eu-central-1"
dr_region          = "eu-west-1"
availability_zones = ["eu-central-1a", "eu-central-1b"]
vpc_cidr           = "10.20.0.0/16"

# Replace these with your own (deploy/runbooks/first-deploy.md, step 1).
domain_name              = "dev.folio.example.org"
route53_zone_id          = "Z0000000000000000DEV"
email_from               = "Folio (dev) <no-reply@dev.folio.example.org>"
alarm_emails             = ["ops@example.org"]
github_repository        = "example-org/folio"
github_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
image_tag                = "bootstrap"

production        = false
db_instance_class = "db.t4g.micro"
cache_node_type   = "cache.t4g.micro"
web = {
  cpu                 = 256
  memory              = 512
  min                 = 1
  max                 = 2
  cpu_target          = 60
  requests_per_target = 1000
}
# Scales on the job queue (folio_jobs queued per task, oldest queued job's age) between these.
worker = {
  cpu    = 256
  memory = 512
  min    = 1
  max    = 2
}
site_name        = "Folio (dev)"
site_description = "Folio's development environment."
# 20:00-07:00 UTC on weekdays, and the weekend, nothing runs (up again Monday 07:00).
scale_down_schedule = {
  down = "cron(0 20 ? * MON-FRI *)"
  up   = "cron(0 7 ? * MON-FRI *)"
}
log_retention_days     = 30
backup_retention_days  = 7
deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"
