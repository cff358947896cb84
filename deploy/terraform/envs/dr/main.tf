# The application tier in the DR region, brought up from what the primary environment keeps
# there before any disaster (deploy/runbooks/disaster-recovery.md):
#   - the database, restored from a snapshot copied to this region;
#   - the image, from this region's replica of the primary's ECR repository (bootstrap);
#   - FOLIO_SECRET_KEY and the origin-verify value, from the replicas of the primary's secrets;
#   - the KMS key alias/folio-<environment> in this region (envs/<environment>, module kms_dr).
# Names are folio-<environment>-dr, so nothing collides with the primary's global pieces (IAM
# roles, S3 buckets). There is no second CloudFront distribution, WAF or SES identity: the
# primary's distribution is global and keeps serving; the switch is the one Route 53 record
# origin.<domain> (take_traffic).

locals {
  primary_name = "folio-${var.environment}"
  name         = "${local.primary_name}-dr"
  tags = {
    Project     = "folio"
    Environment = var.environment
    Role        = "dr"
    ManagedBy   = "terraform"
  }
  account       = data.aws_caller_identity.current.account_id
  origin_domain = "origin.${var.domain_name}"
  snapshot      = coalesce(var.db_snapshot_identifier, one(data.aws_db_snapshot.latest[*].db_snapshot_arn))
}

data "aws_caller_identity" "current" {}

# --- what the primary left in this region ---------------------------------------------------------

data "aws_kms_alias" "primary" {
  name = "alias/${local.primary_name}"
}

data "aws_db_snapshot" "latest" {
  count                  = var.db_snapshot_identifier == null ? 1 : 0
  db_instance_identifier = local.primary_name
  snapshot_type          = "manual"
  most_recent            = true
}

data "aws_ecr_repository" "primary" {
  name = local.primary_name
}

# Listed, not read with aws_secretsmanager_secret: that one also reads the resource policy,
# which Secrets Manager refuses on a replica ("call must be made in primary secret's region").
# one() fails the plan unless exactly one secret has the name.
data "aws_secretsmanager_secrets" "secret_key" {
  filter {
    name   = "name"
    values = ["${local.primary_name}/secret-key"]
  }
}

data "aws_secretsmanager_secrets" "origin_verify" {
  filter {
    name   = "name"
    values = ["${local.primary_name}/origin-verify"]
  }
}

# --- the application tier --------------------------------------------------------------------------

module "network" {
  source               = "../../modules/network"
  name                 = local.name
  cidr                 = var.vpc_cidr
  availability_zones   = var.availability_zones
  nat_gateway_per_zone = var.production
  kms_key_arn          = data.aws_kms_alias.primary.target_key_arn
  log_retention_days   = var.log_retention_days
}

module "data" {
  source                = "../../modules/data"
  name                  = local.name
  snapshot_identifier   = local.snapshot
  subnet_ids            = module.network.data_subnet_ids
  security_group_id     = module.network.db_security_group_id
  kms_key_arn           = data.aws_kms_alias.primary.target_key_arn
  instance_class        = var.db_instance_class
  multi_az              = var.production
  deletion_protection   = var.production
  backup_retention_days = var.backup_retention_days
  log_retention_days    = var.log_retention_days
}

# Sessions and cache only: it starts empty (users sign in again).
module "cache" {
  source             = "../../modules/cache"
  name               = local.name
  subnet_ids         = module.network.data_subnet_ids
  security_group_id  = module.network.cache_security_group_id
  kms_key_arn        = data.aws_kms_alias.primary.target_key_arn
  node_type          = var.cache_node_type
  replicas           = var.production ? 1 : 0
  log_retention_days = var.log_retention_days
}

# The media bucket media is restored into (AWS Backup's copy in the DR vault) and the logs bucket.
module "storage" {
  source             = "../../modules/storage"
  name               = local.name
  log_retention_days = var.log_retention_days
}

# The primary's distribution serves /media/* through its origin access control; once its media
# origin points here (runbook), it may read this bucket, nobody else.
resource "aws_s3_bucket_policy" "media" {
  bucket = module.storage.media_bucket_id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${module.storage.media_bucket_arn}/media/*"
        Condition = { StringEquals = { "AWS:SourceArn" = "arn:aws:cloudfront::${local.account}:distribution/${var.distribution_id}" } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [module.storage.media_bucket_arn, "${module.storage.media_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

# The ALB's certificate in this region. ACM's DNS validation record for a name is the same for
# every certificate of the account, and the primary's edge module already keeps it for
# origin.<domain> in the zone, so this one validates without a record of its own (a record here
# would be deleted with this composition, and with it the primary certificate's renewal).
resource "aws_acm_certificate" "origin" {
  domain_name       = local.origin_domain
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
  tags = local.tags
}

resource "aws_acm_certificate_validation" "origin" {
  certificate_arn         = aws_acm_certificate.origin.arn
  validation_record_fqdns = [for o in aws_acm_certificate.origin.domain_validation_options : trimsuffix(o.resource_record_name, ".")]
}

module "observability" {
  source                     = "../../modules/observability"
  providers                  = { aws = aws, aws.us_east_1 = aws.us_east_1 }
  name                       = local.name
  kms_key_arn                = data.aws_kms_alias.primary.target_key_arn
  log_retention_days         = var.log_retention_days
  alarm_emails               = var.alarm_emails
  alb_arn_suffix             = module.app.alb_arn_suffix
  target_group_arn_suffixes  = module.app.target_group_arn_suffixes
  cluster_name               = module.app.cluster_name
  service_names              = module.app.service_names
  db_instance_id             = module.data.instance_id
  cache_replication_group_id = module.cache.replication_group_id
  distribution_id            = var.distribution_id
}

module "app" {
  source                = "../../modules/app"
  name                  = local.name
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  app_subnet_ids        = module.network.app_subnet_ids
  alb_security_group_id = module.network.alb_security_group_id
  app_security_group_id = module.network.app_security_group_id
  certificate_arn       = aws_acm_certificate_validation.origin.certificate_arn
  kms_key_arn           = data.aws_kms_alias.primary.target_key_arn
  logs_bucket_id        = module.storage.logs_bucket_id
  log_group_names       = module.observability.log_group_names
  # The same site: CloudFront still answers for <domain_name>.
  base_url         = "https://${var.domain_name}"
  email_from       = var.email_from
  media_bucket_id  = module.storage.media_bucket_id
  media_bucket_arn = module.storage.media_bucket_arn
  # SES and its verified identity stay in the primary region (not replicated): while it is down,
  # sending fails and the jobs are retried from the queue.
  ses_identity_arn          = "arn:aws:ses:${var.primary_region}:${local.account}:identity/${var.domain_name}"
  ses_configuration_set_arn = "arn:aws:ses:${var.primary_region}:${local.account}:configuration-set/${local.primary_name}"
  email_url                 = "ses://${var.primary_region}?configuration_set=${local.primary_name}"
  ses_topic_arns            = ["arn:aws:sns:${var.primary_region}:${local.account}:${local.primary_name}-ses-feedback"]
  # The restored database keeps the primary's roles: folio_app logs in by IAM here too (the
  # task role's rds-db:connect names this instance), and migrate reads the master password
  # from the secret RDS makes for the restored instance in this region.
  database = {
    app_url                = module.data.app_url
    app_username           = module.data.app_username
    app_user_arn           = module.data.app_user_arn
    migrate_url            = module.data.migrate_url
    master_user_secret_arn = module.data.master_user_secret_arn
  }
  cache = {
    url          = module.cache.url
    connect_arns = module.cache.connect_arns
  }
  # The primary's, replicated to this region ahead of time.
  image_repository_url     = data.aws_ecr_repository.primary.repository_url
  image_tag                = var.image_tag
  secret_key_secret_arn    = one(data.aws_secretsmanager_secrets.secret_key.arns)
  origin_verify_secret_arn = one(data.aws_secretsmanager_secrets.origin_verify.arns)

  web              = var.web
  worker           = var.worker
  site_name        = var.site_name
  site_description = var.site_description
  # The collector sidecar publishes into this region's namespace, through its log group.
  metrics_namespace          = module.observability.metrics_namespace
  metrics_log_group_name     = module.observability.metrics_log_group_name
  rollback_alarm_names       = module.observability.rollback_alarm_names
  deployment_config_name     = var.deployment_config_name
  alb_deletion_protection    = var.production
  test_listener_source_cidrs = [for ip in module.network.nat_public_ips : "${ip}/32"]
  smoke_test_url             = "https://${local.origin_domain}:8443"
}

# --- the switch -----------------------------------------------------------------------------------
# The primary's edge module owns this record; take_traffic overwrites it with this region's ALB.
# Failing back, the primary's `terraform apply` takes it back; then `terraform state rm` it here
# before destroying this composition (runbook), or the destroy would delete the live record.
resource "aws_route53_record" "origin" {
  count           = var.take_traffic ? 1 : 0
  zone_id         = var.route53_zone_id
  name            = local.origin_domain
  type            = "A"
  allow_overwrite = true
  alias {
    name                   = module.app.alb_dns_name
    zone_id                = module.app.alb_zone_id
    evaluate_target_health = true
  }
}
