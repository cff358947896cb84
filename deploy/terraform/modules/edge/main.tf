# The front door: CloudFront for the site's domain, in front of the ALB (dynamic pages), the
# media bucket (/media/*), the browser app's bucket (/app/*) and a static failover page, with
# the WAF web ACL, TLS certificates and DNS records.
#
# Failover: when the ALB answers 502/503/504 or cannot be reached, viewers get a 503: API
# clients (paths under /api/) a JSON body, everyone else the failover page. CloudFront origin
# groups would be the other way, but they only fail over GET/HEAD/OPTIONS and the site's default
# behaviour must accept POST (every form). Custom error responses cover every method but are per
# distribution: one page for every path. CloudFront Functions do not run on origin responses.
# So a Lambda@Edge origin-response function on the behaviours that reach the ALB shapes the 503
# by path (files/failover_response.py); CloudFront runs origin-response functions on the origin's
# errors and on those it generates when the origin is unreachable or times out.
# The custom error responses stay as the backstop, arranged so that the function's answer
# stands whichever of the two CloudFront applies first: the function answers 503, and 503 has
# no custom page (only its caching time); 502 and 504 keep the S3 page for the case where the
# function did not answer (e.g. Lambda itself failing). runbooks/failover-page.md.

locals {
  origin_domain = "origin.${var.domain_name}"
  names         = [var.domain_name, local.origin_domain]
  # AWS-managed policies; their IDs are fixed and documented by CloudFront.
  caching_disabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  caching_optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  all_viewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
}

data "aws_caller_identity" "current" {}

# --- certificates ---------------------------------------------------------------------------
# The ALB's (regional) and CloudFront's (us-east-1) certificates cover the same two names, so
# one set of DNS validation records serves both.

resource "aws_acm_certificate" "alb" {
  domain_name               = local.origin_domain
  subject_alternative_names = [var.domain_name]
  validation_method         = "DNS"
  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

resource "aws_acm_certificate" "cdn" {
  provider                  = aws.us_east_1
  domain_name               = var.domain_name
  subject_alternative_names = [local.origin_domain]
  validation_method         = "DNS"
  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

locals {
  validation = { for o in aws_acm_certificate.alb.domain_validation_options : o.domain_name => o }
}

resource "aws_route53_record" "validation" {
  # Keys from configuration (known at plan), values from the certificate.
  for_each        = toset(local.names)
  zone_id         = var.zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "alb" {
  certificate_arn         = aws_acm_certificate.alb.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_acm_certificate_validation" "cdn" {
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.cdn.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

# --- the failover page ----------------------------------------------------------------------

resource "aws_s3_bucket" "failover" {
  # checkov:skip=CKV_AWS_18:One static page read only by CloudFront, whose access logs already record every request.
  # checkov:skip=CKV_AWS_144:The page is in the repository; Terraform recreates it anywhere.
  # checkov:skip=CKV_AWS_145:SSE-S3: a public maintenance page needs no customer-managed key.
  # checkov:skip=CKV2_AWS_62:Nothing consumes object events.
  # checkov:skip=CKV2_AWS_61:One small object that Terraform owns; nothing to expire.
  bucket        = "${var.name}-failover-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "failover" {
  bucket                  = aws_s3_bucket.failover.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "failover" {
  bucket = aws_s3_bucket.failover.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "failover" {
  bucket = aws_s3_bucket.failover.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_object" "failover" {
  bucket        = aws_s3_bucket.failover.id
  key           = "_failover/index.html"
  source        = "${path.module}/files/failover.html"
  etag          = filemd5("${path.module}/files/failover.html")
  content_type  = "text/html; charset=utf-8"
  cache_control = "no-store"
}

# Only this distribution may read the two private buckets.
resource "aws_s3_bucket_policy" "failover" {
  bucket = aws_s3_bucket.failover.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.failover.arn}/_failover/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this.arn } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.failover.arn, "${aws_s3_bucket.failover.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.failover]
}

resource "aws_s3_bucket_policy" "media" {
  bucket = var.media_bucket_id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${var.media_bucket_arn}/media/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this.arn } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [var.media_bucket_arn, "${var.media_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

# --- the browser app (/app/*) ---------------------------------------------------------------
# The pipeline builds web/ once and syncs it under app/ (deploy/ci/publish-app.sh): hashed
# assets with a year's caching, index.html revalidated. CloudFront reads it with the same
# Origin Access Control as the other buckets; a viewer-request function sends every app route
# to index.html (the app's router reads the path).

resource "aws_s3_bucket" "app" {
  # checkov:skip=CKV_AWS_18:Static files read only by CloudFront, whose access logs already record every request.
  # checkov:skip=CKV_AWS_144:The files are built from the repository by the pipeline; any region gets them by a new deploy.
  # checkov:skip=CKV_AWS_145:SSE-S3: public static files need no customer-managed key.
  # checkov:skip=CKV2_AWS_62:Nothing consumes object events.
  bucket        = "${var.name}-app-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "app" {
  bucket                  = aws_s3_bucket.app.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "app" {
  bucket = aws_s3_bucket.app.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "app" {
  bucket = aws_s3_bucket.app.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "app" {
  bucket = aws_s3_bucket.app.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# A replaced index.html stays as a noncurrent version for a month (to roll back by copying it
# back); old hashed assets stay current, since tabs opened before a deploy still load them.
resource "aws_s3_bucket_lifecycle_configuration" "app" {
  bucket = aws_s3_bucket.app.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "app" {
  bucket = aws_s3_bucket.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudFrontReads"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.app.arn}/app/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this.arn } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.app.arn, "${aws_s3_bucket.app.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.app]
}

resource "aws_cloudfront_function" "app_routes" {
  count   = var.app_routes_function ? 1 : 0
  name    = "${var.name}-app-routes"
  runtime = "cloudfront-js-2.0"
  comment = "Every /app/ route but the build's files is the app's index.html"
  publish = true
  code    = file("${path.module}/files/app-routes.js")
}

# --- failover responses by path (Lambda@Edge) -----------------------------------------------

locals {
  failover_function_name = "${var.name}-failover-response"
  failover_package       = "${path.module}/files/failover-response.zip"
}

resource "aws_iam_role" "failover_function" {
  name = local.failover_function_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      # Lambda@Edge needs both: Lambda runs the function, edgelambda its replicas.
      Principal = { Service = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      # Confused deputy: the account, whenever the service sends it. IfExists because neither
      # Lambda nor Lambda@Edge documents aws:SourceAccount on assuming an execution role, and a
      # missing key must not leave every edge location without its failover response.
      Condition = { StringEqualsIfExists = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

# Lambda@Edge logs in the region where each replica runs, to /aws/lambda/us-east-1.<name>; those
# groups cannot be made ahead for every edge region, so the function may create them (only them).
resource "aws_iam_role_policy" "failover_function_logs" {
  name = "write-own-logs"
  role = aws_iam_role.failover_function.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = [
        "arn:aws:logs:*:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/us-east-1.${local.failover_function_name}",
        "arn:aws:logs:*:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/us-east-1.${local.failover_function_name}:*",
      ]
    }]
  })
}

resource "aws_lambda_function" "failover" {
  # checkov:skip=CKV_AWS_117:Lambda@Edge cannot run in a VPC; the function only rewrites a response and calls nothing.
  # checkov:skip=CKV_AWS_116:Lambda@Edge supports no dead-letter queue; CloudFront invokes it synchronously.
  # checkov:skip=CKV_AWS_50:Lambda@Edge does not support X-Ray.
  # checkov:skip=CKV_AWS_115:It runs only on origin errors, when every request needs it; a concurrency cap would turn failover answers into throttling errors.
  # checkov:skip=CKV_AWS_272:The zip is built reproducibly from the repository and checked byte for byte by ci/edge-function.py --check in the platform checks.
  provider         = aws.us_east_1 # Lambda@Edge functions live in us-east-1
  function_name    = local.failover_function_name
  description      = "Origin response: 503 as JSON under /api/, the failover page elsewhere"
  role             = aws_iam_role.failover_function.arn
  runtime          = "python3.12"
  handler          = "failover_response.handler"
  filename         = local.failover_package
  source_code_hash = filebase64sha256(local.failover_package)
  memory_size      = 128
  timeout          = 5
  # CloudFront associates a numbered version, never $LATEST.
  publish = true
  # Lambda refuses to delete a function while CloudFront still holds replicas of it, which it
  # removes hours after the distribution lets go. Destroy therefore only forgets the function;
  # delete it later by hand (runbooks/failover-page.md).
  skip_destroy = true
  tags         = var.tags
}

# --- the distribution -----------------------------------------------------------------------

resource "aws_cloudfront_distribution" "this" {
  # checkov:skip=CKV_AWS_310:Origin groups fail over only GET/HEAD/OPTIONS and the default behaviour takes POST; custom_error_response below serves the failover page instead (see the comment at the top).
  # checkov:skip=CKV2_AWS_32:The app sets its own security headers (CSP, HSTS, frame and referrer policies) on every response; a CloudFront policy would duplicate them.
  # checkov:skip=CKV_AWS_305:The root path goes to the app (the ALB origin), which serves / itself; a default root object is for S3 websites.
  # checkov:skip=CKV2_AWS_47:The attached web ACL (waf module) includes AWSManagedRulesKnownBadInputsRuleSet, the Log4j rule group; checkov cannot follow the ARN across modules.
  # checkov:skip=CKV_AWS_374:Folio serves readers everywhere; no geo restriction is wanted.
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  comment         = var.name
  aliases         = [var.domain_name]
  price_class     = var.price_class
  web_acl_id      = var.web_acl_arn

  origin {
    origin_id   = "alb"
    domain_name = local.origin_domain
    # The ALB forwards only requests carrying this header (app module); anything else, such as
    # another CloudFront distribution pointed at origin.<domain>, gets 403 without the WAF.
    # CloudFront replaces a viewer-sent header of the same name.
    custom_header {
      name  = var.origin_verify_header.name
      value = var.origin_verify_header.value
    }
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      origin_read_timeout    = 60
    }
  }

  origin {
    origin_id                = "media"
    domain_name              = var.media_bucket_regional_domain_name
    origin_access_control_id = var.origin_access_control_id
  }

  origin {
    origin_id                = "failover"
    domain_name              = aws_s3_bucket.failover.bucket_regional_domain_name
    origin_access_control_id = var.origin_access_control_id
  }

  origin {
    origin_id                = "app"
    domain_name              = aws_s3_bucket.app.bucket_regional_domain_name
    origin_access_control_id = var.origin_access_control_id
  }

  # Pages are private or carry CSRF tokens: never cached, every header and cookie forwarded.
  default_cache_behavior {
    target_origin_id         = "alb"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer
    compress                 = true
    lambda_function_association {
      event_type   = "origin-response"
      lambda_arn   = aws_lambda_function.failover.qualified_arn
      include_body = false
    }
  }

  # Static content, cached for good: the stylesheet's name carries its content hash, media keys
  # are content-addressed or random, and the failover page is only read when the origin fails.
  # In order: CloudFront matches ordered behaviours first to last.
  dynamic "ordered_cache_behavior" {
    for_each = [
      { path = "/static/*", origin = "alb" },
      { path = "/media/*", origin = "media" },
      { path = "/_failover/*", origin = "failover" },
    ]
    content {
      path_pattern           = ordered_cache_behavior.value.path
      target_origin_id       = ordered_cache_behavior.value.origin
      viewer_protocol_policy = "redirect-to-https"
      allowed_methods        = ["GET", "HEAD"]
      cached_methods         = ["GET", "HEAD"]
      cache_policy_id        = local.caching_optimized
      compress               = true
      # Every behaviour that reaches the ALB answers its failures the same way.
      dynamic "lambda_function_association" {
        for_each = ordered_cache_behavior.value.origin == "alb" ? [aws_lambda_function.failover.qualified_arn] : []
        content {
          event_type   = "origin-response"
          lambda_arn   = lambda_function_association.value
          include_body = false
        }
      }
    }
  }

  # The browser app from its bucket. The cache keeps what the files say: a year for the hashed
  # assets, a revalidation for index.html (publish-app.sh sets both).
  ordered_cache_behavior {
    path_pattern           = "/app/*"
    target_origin_id       = "app"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = local.caching_optimized
    compress               = true
    dynamic "function_association" {
      for_each = aws_cloudfront_function.app_routes[*].arn
      content {
        event_type   = "viewer-request"
        function_arn = function_association.value
      }
    }
  }

  # The backstop (see the top): the page for 502 and 504 when the function did not answer; 503,
  # which is what the function answers, only gets its caching time, so its body stands.
  dynamic "custom_error_response" {
    for_each = [502, 504]
    content {
      error_code            = custom_error_response.value
      response_code         = 503
      response_page_path    = "/_failover/index.html"
      error_caching_min_ttl = 10
    }
  }
  custom_error_response {
    error_code            = 503
    error_caching_min_ttl = 10
  }

  logging_config {
    bucket          = var.logs_bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.cdn.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
  tags = var.tags
}

# --- DNS ------------------------------------------------------------------------------------

resource "aws_route53_record" "site" {
  for_each = toset(["A", "AAAA"])
  zone_id  = var.zone_id
  name     = var.domain_name
  type     = each.key
  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}

# CloudFront reaches the ALB by this name, which its certificate covers.
resource "aws_route53_record" "origin" {
  zone_id = var.zone_id
  name    = local.origin_domain
  type    = "A"
  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}
