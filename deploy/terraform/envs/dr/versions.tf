terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Partial configuration (backend.hcl): the state bucket's replica in the DR region, which
  # outlives the primary region (bootstrap, modules/state-backend).
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
