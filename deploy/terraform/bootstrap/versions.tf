terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Applied once per account with local state, which the runbook then moves into the bucket it
  # created (terraform init -migrate-state with backend.hcl; first-deploy.md, step 3).
}
