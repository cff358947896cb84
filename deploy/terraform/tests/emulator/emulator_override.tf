# Emulator overrides for the dev composition (deploy/terraform/envs/dev), applied by
# deploy/terraform/tests/emulator/run.sh to a local moto server. run.sh copies the dev .tf
# files into a scratch directory together with this file; Terraform merges *_override.tf
# files into the blocks of the same name, so everything not listed here is the real dev
# composition with its real wiring. Each override says what the emulator lacks.

terraform {
  # Local, throw-away state instead of the S3 backend.
  backend "local" {}
}

# Endpoints at the emulator; few retries so an unimplemented call fails in seconds instead
# of backing off for minutes. No default tags: moto rejects tags on Application Auto Scaling
# targets (the real API takes them).
provider "aws" {
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  max_retries                 = 2
  default_tags {
    tags = {}
  }
  endpoints {
    acm                    = local.emulator
    applicationautoscaling = local.emulator
    backup                 = local.emulator
    cloudfront             = local.emulator
    cloudwatch             = local.emulator
    codedeploy             = local.emulator
    ec2                    = local.emulator
    ecr                    = local.emulator
    ecs                    = local.emulator
    elasticache            = local.emulator
    elbv2                  = local.emulator
    iam                    = local.emulator
    kms                    = local.emulator
    lambda                 = local.emulator
    logs                   = local.emulator
    rds                    = local.emulator
    route53                = local.emulator
    s3                     = local.emulator
    secretsmanager         = local.emulator
    ses                    = local.emulator
    sesv2                  = local.emulator
    sns                    = local.emulator
    sts                    = local.emulator
    wafv2                  = local.emulator
  }
}

provider "aws" {
  alias                       = "us_east_1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  max_retries                 = 2
  default_tags {
    tags = {}
  }
  endpoints {
    acm            = local.emulator
    cloudwatch     = local.emulator
    iam            = local.emulator
    kms            = local.emulator
    lambda         = local.emulator
    logs           = local.emulator
    route53        = local.emulator
    s3             = local.emulator
    secretsmanager = local.emulator
    sns            = local.emulator
    sts            = local.emulator
    wafv2          = local.emulator
  }
}

provider "aws" {
  alias                       = "dr"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  max_retries                 = 2
  default_tags {
    tags = {}
  }
  endpoints {
    backup = local.emulator
    iam    = local.emulator
    kms    = local.emulator
    rds    = local.emulator
    sts    = local.emulator
  }
}

# The zone is made in emulator.tf (a real first apply finds it already there).
module "edge" {
  # checkov:skip=CKV_TF_1:Overrides arguments of the local module of the same name; no remote source.
  # checkov:skip=CKV_TF_2:Overrides arguments of the local module of the same name; no remote source.
  zone_id       = aws_route53_zone.emulator.zone_id
  force_destroy = true
  # moto has no CloudFront Functions API; the edge module's terraform test covers the function.
  app_routes_function = false
}

module "email" {
  # checkov:skip=CKV_TF_1:Overrides arguments of the local module of the same name; no remote source.
  # checkov:skip=CKV_TF_2:Overrides arguments of the local module of the same name; no remote source.
  zone_id = aws_route53_zone.emulator.zone_id
}

module "storage" {
  # checkov:skip=CKV_TF_1:Overrides arguments of the local module of the same name; no remote source.
  # checkov:skip=CKV_TF_2:Overrides arguments of the local module of the same name; no remote source.
  force_destroy = true
}

# moto has no ElastiCache replication groups: a stand-in with the cache module's outputs.
module "cache" {
  source = "./cache-stand-in"
}

# moto has no AWS Backup selections (the plan and both vaults are still created).
module "backup" {
  # checkov:skip=CKV_TF_1:Overrides arguments of the local module of the same name; no remote source.
  # checkov:skip=CKV_TF_2:Overrides arguments of the local module of the same name; no remote source.
  resource_arns = []
}
