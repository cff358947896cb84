# Emulator overrides for the DR composition (deploy/terraform/envs/dr), applied by
# ../dr-drill.sh to the same moto server as the primary (envs/dev with ../emulator_override.tf).
# As there: Terraform merges *_override.tf files into the blocks of the same name, so everything
# not listed here is the real envs/dr composition with its real wiring.

terraform {
  # Local, throw-away state instead of the S3 backend (the state bucket's replica).
  backend "local" {}
}

# Endpoints at the emulator, few retries; no default tags (moto rejects tags on Application
# Auto Scaling targets).
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
    logs                   = local.emulator
    rds                    = local.emulator
    route53                = local.emulator
    s3                     = local.emulator
    secretsmanager         = local.emulator
    sns                    = local.emulator
    sts                    = local.emulator
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
    cloudwatch = local.emulator
    iam        = local.emulator
    kms        = local.emulator
    logs       = local.emulator
    sns        = local.emulator
    sts        = local.emulator
  }
}

module "storage" {
  # checkov:skip=CKV_TF_1:Overrides arguments of the local module of the same name; no remote source.
  # checkov:skip=CKV_TF_2:Overrides arguments of the local module of the same name; no remote source.
  force_destroy = true
}

# moto has no ElastiCache replication groups: the primary run's stand-in, same outputs.
module "cache" {
  source = "./cache-stand-in"
}
