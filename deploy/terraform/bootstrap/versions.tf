terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Applied once per account with local state (it must exist before the bucket it creates);
  # first-deploy.md, step 2, then copies that state into the bucket for safekeeping.
}
