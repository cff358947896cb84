mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "folio-test"
  availability_zones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  kms_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
}

run "subnets_per_zone" {
  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.app) == 3 && length(aws_subnet.data) == 3
    error_message = "One public, one app and one data subnet per zone."
  }
  assert {
    condition     = length(distinct(concat(aws_subnet.public[*].cidr_block, aws_subnet.app[*].cidr_block, aws_subnet.data[*].cidr_block))) == 9
    error_message = "Subnet ranges must not overlap."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "Nothing gets a public IP by default."
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "A NAT gateway per zone by default."
  }
}

run "security_groups_chain" {
  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_https.from_port == 443 && aws_vpc_security_group_ingress_rule.alb_https.prefix_list_id == data.aws_ec2_managed_prefix_list.cloudfront.id && aws_vpc_security_group_ingress_rule.alb_https.cidr_ipv4 == null
    error_message = "The ALB takes HTTPS from CloudFront's origin-facing prefix list only (WAF cannot be bypassed)."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.alb_to_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_egress_rule.alb_to_app.from_port == 8000
    error_message = "The ALB talks only to the tasks' app port."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.referenced_security_group_id == aws_security_group.alb.id && aws_vpc_security_group_ingress_rule.app_from_alb.from_port == 8000 && aws_vpc_security_group_ingress_rule.app_from_alb.to_port == 8000
    error_message = "Tasks accept the app port from the ALB only."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_ingress_rule.db_from_app.from_port == 5432 && aws_vpc_security_group_ingress_rule.db_from_app.to_port == 5432
    error_message = "PostgreSQL accepts 5432 from the tasks only."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.cache_from_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_ingress_rule.cache_from_app.from_port == 6379
    error_message = "Redis accepts 6379 from the tasks only."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.cache_from_app.cidr_ipv4 == null
    error_message = "No address range reaches the data tier."
  }
}

# The tasks reach AWS APIs, SES's included (the SES v2 API, not SMTP), over 443 only: no egress
# to SMTP ports. These are all the tasks' egress rules.
run "task_egress" {
  assert {
    condition     = aws_vpc_security_group_egress_rule.app_https.from_port == 443 && aws_vpc_security_group_egress_rule.app_https.to_port == 443 && aws_vpc_security_group_egress_rule.app_https.ip_protocol == "tcp"
    error_message = "The only egress to addresses outside the VPC is HTTPS (443)."
  }
  assert {
    condition = alltrue([for r in [aws_vpc_security_group_egress_rule.app_https, aws_vpc_security_group_egress_rule.app_to_db, aws_vpc_security_group_egress_rule.app_to_cache, aws_vpc_security_group_egress_rule.alb_to_app] :
    r.ip_protocol != "-1" && alltrue([for port in [25, 465, 587, 2465, 2587] : !(r.from_port <= port && port <= r.to_port)])])
    error_message = "No egress rule opens an SMTP port (25, 465, 587, 2465, 2587): email goes through the SES API over 443."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.app_to_db.referenced_security_group_id == aws_security_group.db.id && aws_vpc_security_group_egress_rule.app_to_cache.referenced_security_group_id == aws_security_group.cache.id
    error_message = "The tasks' other egress goes to the data tier's security groups only."
  }
}

run "single_nat_for_dev" {
  variables {
    availability_zones   = ["eu-central-1a", "eu-central-1b"]
    nat_gateway_per_zone = false
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2
    error_message = "dev shares one NAT gateway between its zones."
  }
}

run "one_zone_is_refused" {
  command = plan
  variables {
    availability_zones = ["eu-central-1a"]
  }
  expect_failures = [var.availability_zones]
}

# Confused deputy: only this account's flow logs may use the role (issue 13).
run "flow_log_role_names_the_account" {
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role.flow.assume_role_policy).Statement :
    s.Condition.StringEquals["aws:SourceAccount"] == "123456789012" && s.Condition.ArnLike["aws:SourceArn"] == "arn:aws:ec2:eu-central-1:123456789012:vpc-flow-log/*"])
    error_message = "The flow-log role trusts vpc-flow-logs only for this account's flow logs (aws:SourceAccount, aws:SourceArn)."
  }
}

# Issue 16: the app's Prometheus listener (9464) is read by the collector sidecar over the task's
# localhost. No rule of any security group may open it: not from the ALB, not between tasks.
run "metrics_port_closed" {
  assert {
    condition = alltrue([for r in [
      aws_vpc_security_group_ingress_rule.alb_https, aws_vpc_security_group_egress_rule.alb_to_app,
      aws_vpc_security_group_ingress_rule.app_from_alb, aws_vpc_security_group_egress_rule.app_to_db,
      aws_vpc_security_group_egress_rule.app_to_cache, aws_vpc_security_group_egress_rule.app_https,
      aws_vpc_security_group_ingress_rule.db_from_app, aws_vpc_security_group_ingress_rule.cache_from_app,
    ] : r.ip_protocol == "tcp" && !(r.from_port <= 9464 && r.to_port >= 9464)])
    error_message = "No security group rule covers the metrics port 9464 (and none is all-protocols)."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.from_port == 8000 && aws_vpc_security_group_ingress_rule.app_from_alb.to_port == 8000
    error_message = "The tasks accept the app port only, from the ALB."
  }
}
