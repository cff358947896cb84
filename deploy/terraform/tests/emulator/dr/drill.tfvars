# envs/dr standing in for the emulator's dev environment (dr-drill.sh adds the zone, the
# distribution, the copied snapshot and the image tag the drill made).
environment            = "dev"
region                 = "eu-west-1"
primary_region         = "eu-central-1"
availability_zones     = ["eu-west-1a", "eu-west-1b"]
vpc_cidr               = "10.21.0.0/16"
domain_name            = "dev.folio.example.org"
email_from             = "Folio (dev) <no-reply@dev.folio.example.org>"
alarm_emails           = ["ops@example.org"]
take_traffic           = true
production             = false
db_instance_class      = "db.t4g.micro"
cache_node_type        = "cache.t4g.micro"
web                    = { cpu = 256, memory = 512, min = 1, max = 2, cpu_target = 60, requests_per_target = 1000 }
worker                 = { cpu = 256, memory = 512, min = 1, max = 2 }
site_name              = "Folio (dev)"
site_description       = "Folio's development environment."
log_retention_days     = 30
backup_retention_days  = 7
deployment_config_name = "CodeDeployDefault.ECSAllAtOnce"
