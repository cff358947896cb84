# Once per AWS account, before any environment: the Terraform state bucket and the GitHub OIDC
# provider that the environments' deploy roles trust.

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "folio", ManagedBy = "terraform", Stack = "bootstrap" }
  }
}

data "aws_caller_identity" "current" {}

module "state" {
  source      = "../modules/state-backend"
  bucket_name = "folio-terraform-state-${data.aws_caller_identity.current.account_id}"
}

# GitHub's OIDC issuer. AWS validates GitHub's certificate itself now; the thumbprint is still
# a required argument, and this is GitHub's published one.
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}
