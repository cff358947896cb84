terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Partial configuration: bucket, key and region come from backend.hcl of each environment
  # (terraform init -backend-config=backend.hcl). S3's own lock file replaces DynamoDB.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
