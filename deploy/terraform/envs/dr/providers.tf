# Everything of this composition is in the DR region, except the CloudFront 5xx alarm
# (CloudFront's metrics are in us-east-1) and the one Route 53 record that moves traffic.
provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = local.tags
  }
}
