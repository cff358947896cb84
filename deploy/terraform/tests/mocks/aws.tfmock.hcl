# Shared defaults for mock_provider "aws" in every terraform test. A mocked provider invents
# random strings for computed attributes; where another resource validates an attribute as an
# ARN (or reads a field out of it), that fails, so every ARN-bearing type gets a valid one.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/test"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-central-1"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_ec2_managed_prefix_list" {
  defaults = {
    id = "pl-0123456789abcdef0"
  }
}

mock_data "aws_elb_service_account" {
  defaults = {
    arn = "arn:aws:iam::054676820928:root"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
    key_id = "00000000-0000-0000-0000-000000000001"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_cloudfront_function" {
  defaults = {
    arn = "arn:aws:cloudfront::123456789012:function/mock"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-central-1:123456789012:log-group:mock"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    arn         = "arn:aws:rds:eu-central-1:123456789012:db:mock"
    address     = "mock.abcdefghijkl.eu-central-1.rds.amazonaws.com"
    port        = 5432
    resource_id = "db-MOCKRESOURCEID"
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-mock-AbCdEf"
      kms_key_id    = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
      secret_status = "active"
    }]
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:mock-AbCdEf"
  }
}

mock_resource "aws_elasticache_replication_group" {
  defaults = {
    arn                      = "arn:aws:elasticache:eu-central-1:123456789012:replicationgroup:mock"
    primary_endpoint_address = "master.mock.abcdef.euc1.cache.amazonaws.com"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn                         = "arn:aws:s3:::mock-bucket"
    bucket_domain_name          = "mock-bucket.s3.amazonaws.com"
    bucket_regional_domain_name = "mock-bucket.s3.eu-central-1.amazonaws.com"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-central-1:123456789012:repository/mock"
    repository_url = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/mock"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:123456789012:cluster/mock"
    id  = "arn:aws:ecs:eu-central-1:123456789012:cluster/mock"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-central-1:123456789012:task-definition/mock:1"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/mock/0123456789abcdef"
    arn_suffix = "app/mock/0123456789abcdef"
    dns_name   = "mock-123.eu-central-1.elb.amazonaws.com"
    zone_id    = "Z215JYRZR1TBD5"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/mock/0123456789abcdef"
    arn_suffix = "targetgroup/mock/0123456789abcdef"
  }
}

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/mock/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-central-1:123456789012:mock"
  }
}

mock_resource "aws_sns_topic_subscription" {
  defaults = {
    arn = "arn:aws:sns:eu-central-1:123456789012:mock:00000000-0000-0000-0000-000000000004"
  }
}

mock_resource "aws_sesv2_configuration_set" {
  defaults = {
    arn = "arn:aws:ses:eu-central-1:123456789012:configuration-set/mock"
  }
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000002"
  }
}

mock_resource "aws_cloudfront_distribution" {
  defaults = {
    arn            = "arn:aws:cloudfront::123456789012:distribution/EMOCKMOCKMOCK"
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}

mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/mock/00000000-0000-0000-0000-000000000003"
  }
}

mock_resource "aws_sesv2_email_identity" {
  defaults = {
    arn = "arn:aws:ses:eu-central-1:123456789012:identity/example.org"
    # SES always hands out three DKIM tokens.
    dkim_signing_attributes = {
      tokens                  = ["tok1", "tok2", "tok3"]
      next_signing_key_length = "RSA_2048_BIT"
    }
  }
}

mock_resource "aws_backup_vault" {
  defaults = {
    arn = "arn:aws:backup:eu-west-1:123456789012:backup-vault:mock"
  }
}

mock_resource "aws_backup_plan" {
  defaults = {
    arn = "arn:aws:backup:eu-central-1:123456789012:backup-plan:mock"
  }
}

mock_resource "aws_codedeploy_app" {
  defaults = {
    arn = "arn:aws:codedeploy:eu-central-1:123456789012:application:mock"
  }
}

mock_resource "aws_vpc" {
  defaults = {
    arn = "arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-0123456789abcdef0"
  }
}

# Long enough for every place that takes one (ElastiCache wants 16 to 128 characters).
mock_data "aws_secretsmanager_random_password" {
  defaults = {
    # checkov:skip=CKV_SECRET_6:A made-up test value for the mocked provider, not a credential.
    random_password = "mock-password-long-enough-for-every-use"
  }
}

# The NAT gateways' addresses become /32 security-group sources (the test listener).
mock_resource "aws_eip" {
  defaults = {
    public_ip = "198.51.100.10"
  }
}

# CloudFront associates a Lambda@Edge function by its numbered version's ARN (edge module).
mock_resource "aws_lambda_function" {
  defaults = {
    arn           = "arn:aws:lambda:us-east-1:123456789012:function:mock-function"
    qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:mock-function:1"
    version       = "1"
  }
}
