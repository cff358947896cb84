# One Folio environment. dev and prod use these same files (envs/prod links to them); only
# terraform.tfvars and backend.hcl differ.

locals {
  name = "folio-${var.environment}"
  tags = {
    Project     = "folio"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

module "kms" {
  source = "../../modules/kms"
  name   = local.name
}

# The same key in the DR region (alias/<name> there): the replicas of the app's secrets and the
# database snapshots copied there are encrypted with it, and envs/dr finds it by its alias to
# encrypt what it creates. It must exist before the primary region is lost.
module "kms_dr" {
  source    = "../../modules/kms"
  providers = { aws = aws.dr }
  name      = local.name
}

module "network" {
  source               = "../../modules/network"
  name                 = local.name
  cidr                 = var.vpc_cidr
  availability_zones   = var.availability_zones
  nat_gateway_per_zone = var.production
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
}

module "data" {
  source                = "../../modules/data"
  name                  = local.name
  subnet_ids            = module.network.data_subnet_ids
  security_group_id     = module.network.db_security_group_id
  kms_key_arn           = module.kms.key_arn
  instance_class        = var.db_instance_class
  multi_az              = var.production
  deletion_protection   = var.production
  backup_retention_days = var.backup_retention_days
  log_retention_days    = var.log_retention_days
}

module "cache" {
  source             = "../../modules/cache"
  name               = local.name
  subnet_ids         = module.network.data_subnet_ids
  security_group_id  = module.network.cache_security_group_id
  kms_key_arn        = module.kms.key_arn
  node_type          = var.cache_node_type
  replicas           = var.production ? 1 : 0
  log_retention_days = var.log_retention_days
}

module "storage" {
  source             = "../../modules/storage"
  name               = local.name
  log_retention_days = var.log_retention_days
}

module "email" {
  source         = "../../modules/email"
  name           = local.name
  domain_name    = var.domain_name
  zone_id        = var.route53_zone_id
  base_url       = "https://${var.domain_name}"
  subscribe_hook = var.ses_hook_subscription
  kms_key_arn    = module.kms.key_arn
}

module "waf" {
  source    = "../../modules/waf"
  providers = { aws = aws.us_east_1 }
  name      = local.name
}

module "edge" {
  source                            = "../../modules/edge"
  providers                         = { aws = aws, aws.us_east_1 = aws.us_east_1 }
  name                              = local.name
  domain_name                       = var.domain_name
  zone_id                           = var.route53_zone_id
  alb_dns_name                      = module.app.alb_dns_name
  alb_zone_id                       = module.app.alb_zone_id
  media_bucket_id                   = module.storage.media_bucket_id
  media_bucket_arn                  = module.storage.media_bucket_arn
  media_bucket_regional_domain_name = module.storage.media_bucket_regional_domain_name
  origin_access_control_id          = module.storage.origin_access_control_id
  logs_bucket_domain_name           = module.storage.logs_bucket_domain_name
  web_acl_arn                       = module.waf.web_acl_arn
  origin_verify_header              = module.app.origin_verify_header
}

module "observability" {
  source                     = "../../modules/observability"
  providers                  = { aws = aws, aws.us_east_1 = aws.us_east_1 }
  name                       = local.name
  kms_key_arn                = module.kms.key_arn
  log_retention_days         = var.log_retention_days
  alarm_emails               = var.alarm_emails
  alb_arn_suffix             = module.app.alb_arn_suffix
  target_group_arn_suffixes  = module.app.target_group_arn_suffixes
  cluster_name               = module.app.cluster_name
  service_names              = module.app.service_names
  db_instance_id             = module.data.instance_id
  cache_replication_group_id = module.cache.replication_group_id
  distribution_id            = module.edge.distribution_id
}

module "app" {
  source                    = "../../modules/app"
  name                      = local.name
  vpc_id                    = module.network.vpc_id
  public_subnet_ids         = module.network.public_subnet_ids
  app_subnet_ids            = module.network.app_subnet_ids
  alb_security_group_id     = module.network.alb_security_group_id
  app_security_group_id     = module.network.app_security_group_id
  certificate_arn           = module.edge.alb_certificate_arn
  kms_key_arn               = module.kms.key_arn
  logs_bucket_id            = module.storage.logs_bucket_id
  log_group_names           = module.observability.log_group_names
  base_url                  = "https://${var.domain_name}"
  email_from                = var.email_from
  media_bucket_id           = module.storage.media_bucket_id
  media_bucket_arn          = module.storage.media_bucket_arn
  ses_identity_arn          = module.email.identity_arn
  ses_configuration_set_arn = module.email.configuration_set_arn
  email_url                 = module.email.email_url
  ses_topic_arns            = [module.email.feedback_topic_arn]
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
  image_tag        = var.image_tag
  secret_replicas  = { (var.dr_region) = module.kms_dr.key_arn }
  web              = var.web
  worker           = var.worker
  site_name        = var.site_name
  site_description = var.site_description
  # The collector sidecar publishes into the environment's namespace, through its log group.
  metrics_namespace       = module.observability.metrics_namespace
  metrics_log_group_name  = module.observability.metrics_log_group_name
  scale_down_schedule     = var.production ? null : var.scale_down_schedule
  rollback_alarm_names    = module.observability.rollback_alarm_names
  deployment_config_name  = var.deployment_config_name
  alb_deletion_protection = var.production
  # The deploy smoke test reaches the test listener from a task in the app subnets, i.e. from
  # the NAT gateways' addresses.
  test_listener_source_cidrs    = [for ip in module.network.nat_public_ips : "${ip}/32"]
  origin_verify_accept_previous = var.origin_verify_accept_previous
  initial_live_target_group     = var.initial_live_target_group
  smoke_test_url                = "https://origin.${var.domain_name}:8443"
}

module "backup" {
  source               = "../../modules/backup"
  providers            = { aws = aws, aws.dr = aws.dr }
  name                 = local.name
  kms_key_arn          = module.kms.key_arn
  resource_arns        = [module.data.instance_arn, module.storage.media_bucket_arn]
  db_instance_arn      = module.data.instance_arn
  replicate_db_backups = var.production
  retention_days       = var.backup_retention_days
  notification_emails  = var.alarm_emails
  vault_lock = {
    min_retention_days  = 7
    max_retention_days  = 365
    changeable_for_days = var.backup_vault_lock_changeable_for_days
  }
}

module "deployer" {
  source                           = "../../modules/deployer"
  name                             = local.name
  oidc_provider_arn                = var.github_oidc_provider_arn
  github_repository                = var.github_repository
  github_environment               = var.environment
  ecr_repository_arn               = module.app.ecr_repository_arn
  cluster_arn                      = module.app.cluster_arn
  task_definition_families         = concat(values(module.app.task_definition_families), [module.app.smoke_task_definition_family])
  pass_role_arns                   = [module.app.execution_role_arn, module.app.task_role_arn]
  codedeploy_app_name              = module.app.codedeploy_app_name
  codedeploy_deployment_group_name = module.app.codedeploy_deployment_group_name
  migrate_log_group_name           = module.observability.log_group_names.migrate
  signing_key_secret_arn           = module.app.secret_key_secret_arn
  kms_key_arn                      = module.kms.key_arn
  wake_scalable_target_arns        = var.production || var.scale_down_schedule == null ? [] : module.app.scalable_target_arns
  app_bucket_arn                   = module.edge.app_bucket_arn
  distribution_arn                 = module.edge.distribution_arn
}
