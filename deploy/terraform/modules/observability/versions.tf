terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
      # aws.us_east_1: CloudFront's metrics, so its alarm and that alarm's topic, are there.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
