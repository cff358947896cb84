# prod's stand-in in its DR region (prod's dr_region). Sizes as prod's terraform.tfvars.
environment        = "prod"
region             = "eu-west-1"
primary_region     = "eu-central-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.31.0.0/16"

# Replace these with your own (as in envs/prod/terraform.tfvars).
domain_name     = "folio.example.org"
route53_zone_id = "Z000000000000000PROD"
email_from      = "Folio <no-reply@folio.example.org>"
alarm_emails    = ["ops@example.org"]
distribution_id = "E0000000000PROD"

# Set at the time of the event (disaster-recovery.md): the tag prod last ran, the snapshot
# (null: the newest copy in this region), and take_traffic once the restore is checked.
image_tag              = "bootstrap"
db_snapshot_identifier = null
take_traffic           = false

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
# As prod: scales on the job queue between these (a backlog is likely after a failover).
worker = {
  cpu    = 512
  memory = 1024
  min    = 2
  max    = 8
}
site_name              = "Folio"
site_description       = "Notes, images and newsletters, published with Folio."
log_retention_days     = 365
backup_retention_days  = 35
deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"
