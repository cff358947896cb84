mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "folio-test"
}

run "rules" {
  assert {
    condition     = aws_wafv2_web_acl.this.scope == "CLOUDFRONT"
    error_message = "The ACL is for CloudFront."
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].limit if r.name == "signin-rate-limit"]) == 100
    error_message = "Sign-in POSTs are rate limited."
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].scope_down_statement[0].and_statement[0].statement[0].byte_match_statement[0].search_string if r.name == "signin-rate-limit"]) == "/signin/"
    error_message = "The sign-in limit applies to /signin/."
  }
  assert {
    condition     = length([for r in aws_wafv2_web_acl.this.rule : r if length(r.statement[0].managed_rule_group_statement) > 0]) == 3
    error_message = "Three AWS managed rule groups."
  }
  assert {
    condition     = startswith(aws_cloudwatch_log_group.this.name, "aws-waf-logs-")
    error_message = "WAF logs go to a group WAF accepts."
  }
}
