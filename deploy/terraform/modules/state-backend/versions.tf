terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
      # aws.dr: the disaster-recovery region, where the state is replicated.
      configuration_aliases = [aws.dr]
    }
  }
}
