mock_provider "aws" {
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../tests/mocks"
}

# The certificate's DNS validation records are only known once ACM has made them.
override_resource {
  target = aws_acm_certificate.alb
  values = {
    arn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-0000000000a1"
    domain_validation_options = [
      { domain_name = "folio.example.org", resource_record_name = "_a.folio.example.org.", resource_record_type = "CNAME", resource_record_value = "_a.acm-validations.aws." },
      { domain_name = "origin.folio.example.org", resource_record_name = "_b.origin.folio.example.org.", resource_record_type = "CNAME", resource_record_value = "_b.acm-validations.aws." },
    ]
  }
}

variables {
  name                              = "folio-test"
  domain_name                       = "folio.example.org"
  zone_id                           = "Z0123456789"
  alb_dns_name                      = "folio-test-1.eu-central-1.elb.amazonaws.com"
  alb_zone_id                       = "Z215JYRZR1TBD5"
  media_bucket_id                   = "folio-test-media"
  media_bucket_arn                  = "arn:aws:s3:::folio-test-media"
  media_bucket_regional_domain_name = "folio-test-media.s3.eu-central-1.amazonaws.com"
  origin_access_control_id          = "E2OAC"
  logs_bucket_domain_name           = "folio-test-logs.s3.amazonaws.com"
  web_acl_arn                       = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/folio-test/00000000-0000-0000-0000-000000000003"
  origin_verify_header              = { name = "X-Origin-Verify", value = "test-origin-secret" }
}

run "failover_page" {
  assert {
    condition     = toset([for r in aws_cloudfront_distribution.this.custom_error_response : r.error_code]) == toset([502, 503, 504])
    error_message = "Origin failures (502/503/504) all have a custom error response (page or caching time)."
  }
  assert {
    condition     = alltrue([for r in aws_cloudfront_distribution.this.custom_error_response : r.response_page_path == "/_failover/index.html" && r.response_code == 503 if r.error_code != 503])
    error_message = "The backstop: 502 and 504 get the failover page with 503 when the function did not answer."
  }
  assert {
    condition     = one([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.target_origin_id if b.path_pattern == "/_failover/*"]) == "failover"
    error_message = "/_failover/* comes from the failover bucket."
  }
  assert {
    condition     = aws_s3_object.failover.key == "_failover/index.html"
    error_message = "The page is in the bucket where the behaviour looks."
  }
}

run "certificates" {
  assert {
    condition     = toset([for r in aws_route53_record.validation : r.name]) == toset(["_a.folio.example.org.", "_b.origin.folio.example.org."])
    error_message = "Both names are validated by DNS."
  }
  assert {
    condition     = aws_acm_certificate.cdn.domain_name == "folio.example.org" && aws_route53_record.origin.name == "origin.folio.example.org"
    error_message = "CloudFront's certificate is for the site; the ALB is reached as origin.<domain>."
  }
}

run "edge_security" {
  assert {
    condition     = aws_cloudfront_distribution.this.web_acl_id == var.web_acl_arn
    error_message = "WAF is attached."
  }
  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https" && aws_cloudfront_distribution.this.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021"
    error_message = "Viewers use HTTPS, TLS 1.2 or later."
  }
  assert {
    condition     = one([for o in aws_cloudfront_distribution.this.origin : o.custom_origin_config[0].origin_protocol_policy if o.origin_id == "alb"]) == "https-only"
    error_message = "CloudFront reaches the ALB over HTTPS only."
  }
  assert {
    condition     = one([for o in aws_cloudfront_distribution.this.origin : o.origin_access_control_id if o.origin_id == "media"]) == var.origin_access_control_id
    error_message = "Media is read through OAC."
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.media.policy).Statement[0].Condition.StringEquals["AWS:SourceArn"] == aws_cloudfront_distribution.this.arn
    error_message = "Only this distribution may read media."
  }
  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    error_message = "Pages are never cached at the edge."
  }
}

run "origin_verify_header" {
  variables {
    origin_verify_header = { name = "X-Origin-Verify", value = "test-origin-secret" }
  }
  assert {
    condition     = one([for o in aws_cloudfront_distribution.this.origin : o.custom_header if o.origin_id == "alb"]) == toset([{ name = "X-Origin-Verify", value = "test-origin-secret" }])
    error_message = "CloudFront must send the origin-verify header to the ALB origin (and only there): without it the ALB answers 403."
  }
  assert {
    condition     = alltrue([for o in aws_cloudfront_distribution.this.origin : length(o.custom_header) == 0 if o.origin_id != "alb"])
    error_message = "The secret header goes to the ALB only, never to the S3 origins."
  }
  assert {
    condition     = output.origin_verify_header_name == "X-Origin-Verify"
    error_message = "The header's name (not its value) is an output."
  }
}

# The failover page only for HTML paths: API clients (/api/...) get a JSON 503 (issue 13).
# Custom error responses are per distribution, so a Lambda@Edge origin-response function on
# every behaviour that reaches the ALB shapes the 503 by path (its logic: ci/edge-function.py
# --check). 503, what the function answers, has no custom page that could replace its body.
run "failover_by_path" {
  assert {
    condition = alltrue([for a in aws_cloudfront_distribution.this.default_cache_behavior[0].lambda_function_association :
    a.event_type == "origin-response" && a.lambda_arn == aws_lambda_function.failover.qualified_arn && !a.include_body])
    error_message = "The default behaviour (the app) runs the failover function on origin responses, with the numbered version."
  }
  assert {
    condition     = length(aws_cloudfront_distribution.this.default_cache_behavior[0].lambda_function_association) == 1
    error_message = "One association on the default behaviour."
  }
  assert {
    condition = alltrue([for b in aws_cloudfront_distribution.this.ordered_cache_behavior :
    length(b.lambda_function_association) == (b.target_origin_id == "alb" ? 1 : 0)])
    error_message = "Every other behaviour that reaches the ALB runs it too; the S3 behaviours do not."
  }
  assert {
    condition     = one([for r in aws_cloudfront_distribution.this.custom_error_response : r if r.error_code == 503]).response_page_path == "" || one([for r in aws_cloudfront_distribution.this.custom_error_response : r if r.error_code == 503]).response_page_path == null
    error_message = "No custom page for 503: it would replace the function's JSON body for API clients."
  }
  assert {
    condition     = output.failover_error_codes == [502, 504] || toset(output.failover_error_codes) == toset([502, 504])
    error_message = "The S3 page remains the backstop for 502 and 504."
  }
  assert {
    condition     = aws_lambda_function.failover.publish && aws_lambda_function.failover.handler == "failover_response.handler" && startswith(aws_lambda_function.failover.runtime, "python3.")
    error_message = "A published (numbered) version of the Python handler."
  }
  assert {
    condition     = aws_lambda_function.failover.filename == "${path.module}/files/failover-response.zip" && aws_lambda_function.failover.source_code_hash == filebase64sha256("${path.module}/files/failover-response.zip")
    error_message = "The committed, reproducibly built package (ci/edge-function.py)."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role.failover_function.assume_role_policy).Statement[0].Principal.Service) == toset(["lambda.amazonaws.com", "edgelambda.amazonaws.com"])
    error_message = "Lambda@Edge needs both lambda and edgelambda to assume the role."
  }
  assert {
    condition     = jsondecode(aws_iam_role.failover_function.assume_role_policy).Statement[0].Condition.StringEqualsIfExists["aws:SourceAccount"] == "123456789012"
    error_message = "The edge function's role names this account."
  }
  assert {
    condition     = alltrue([for r in jsondecode(aws_iam_role_policy.failover_function_logs.policy).Statement[0].Resource : strcontains(r, ":log-group:/aws/lambda/us-east-1.folio-test-failover-response")])
    error_message = "The function writes only its own (per-region) log groups."
  }
}

run "browser_app" {
  assert {
    condition     = one([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.target_origin_id if b.path_pattern == "/app/*"]) == "app"
    error_message = "/app/* comes from the app's bucket."
  }
  assert {
    condition     = one([for o in aws_cloudfront_distribution.this.origin : o.domain_name if o.origin_id == "app"]) == aws_s3_bucket.app.bucket_regional_domain_name && one([for o in aws_cloudfront_distribution.this.origin : o.origin_access_control_id if o.origin_id == "app"]) == var.origin_access_control_id
    error_message = "CloudFront reads the app's bucket through Origin Access Control."
  }
  assert {
    condition     = one(flatten([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : [for f in b.function_association : f.event_type] if b.path_pattern == "/app/*"])) == "viewer-request"
    error_message = "The SPA fallback runs on viewer requests, before the cache lookup."
  }
  assert {
    condition     = aws_cloudfront_function.app_routes[0].runtime == "cloudfront-js-2.0" && strcontains(aws_cloudfront_function.app_routes[0].code, "/app/index.html")
    error_message = "The function rewrites app routes to the entry page."
  }
  assert {
    condition     = one([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.allowed_methods if b.path_pattern == "/app/*"]) == toset(["GET", "HEAD"])
    error_message = "The app's files are read only."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.app.block_public_policy && aws_s3_bucket_public_access_block.app.restrict_public_buckets
    error_message = "The app's bucket is private; only the distribution reads it."
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.app.policy).Statement[0].Resource == "${aws_s3_bucket.app.arn}/app/*" && jsondecode(aws_s3_bucket_policy.app.policy).Statement[0].Condition.StringEquals["AWS:SourceArn"] == aws_cloudfront_distribution.this.arn
    error_message = "Only this distribution may read, and only the app's files."
  }
}
