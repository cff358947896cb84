# prod: three zones, Multi-AZ database, cache replica, NAT per zone, canary deployments.
environment        = "prod"
region             = "eu-central-1"
dr_region          = "eu-west-1"
availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr           = "10.30.0.0/16"

# Replace these with your own (deploy/runbooks/first-deploy.md, step 1).
domain_name              = "folio.example.org"
route53_zone_id          = "Z000000000000000PROD"
email_from               = "Folio <no-reply@folio.example.org>"
alarm_emails             = ["ops@example.org"]
github_repository        = "example-org/folio"
github_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
image_tag                = "bootstrap"

production        = true
db_instance_class = "db.m7g.large"
cache_node_type   = "cache.m7g.large"
web = {
  cpu                 = 1024
  memory              = 2048
  min                 = 3
  max                 = 12
  cpu_target          = 60
  requests_per_target = 3000
}
# Scales on the job queue (folio_jobs queued per task, oldest queued job's age) between these;
# two at least so a task replacement never stops the jobs.
worker = {
  cpu    = 512
  memory = 1024
  min    = 2
  max    = 8
}
site_name              = "Folio"
site_description       = "Notes, images and newsletters, published with Folio."
scale_down_schedule    = null
log_retention_days     = 365
backup_retention_days  = 35
deployment_config_name = "CodeDeployDefault.ECSCanary10Percent5Minutes"
