# Once per AWS account, before any environment: the Terraform state bucket (replicated to the
# DR region), the registry's replication to the DR region and the GitHub OIDC provider that the
# environments' deploy roles trust.

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "folio", ManagedBy = "terraform", Stack = "bootstrap" }
  }
}

# The disaster-recovery region: the state's replica and the images' replicas.
provider "aws" {
  alias  = "dr"
  region = var.dr_region
  default_tags {
    tags = { Project = "folio", ManagedBy = "terraform", Stack = "bootstrap" }
  }
}

data "aws_caller_identity" "current" {}

module "state" {
  source              = "../modules/state-backend"
  providers           = { aws = aws, aws.dr = aws.dr }
  bucket_name         = "folio-terraform-state-${data.aws_caller_identity.current.account_id}"
  replica_bucket_name = "folio-terraform-state-${data.aws_caller_identity.current.account_id}-${var.dr_region}"
}

# Every image pushed to a folio-* repository (folio-dev, folio-prod) is copied by ECR to the same
# repository name in the DR region, where envs/dr's tasks pull it. The replication configuration
# belongs to the registry (one per account and region), not to a repository: two environments
# each setting it would overwrite each other, so it is made here, once per account.
resource "aws_ecr_replication_configuration" "dr" {
  replication_configuration {
    rule {
      destination {
        region      = var.dr_region
        registry_id = data.aws_caller_identity.current.account_id
      }
      repository_filter {
        filter      = "folio-"
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}

# GitHub's OIDC issuer. AWS validates GitHub's certificate itself now; the thumbprint is still
# a required argument, and this is GitHub's published one.
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}
