# Object storage: the private media bucket (FOLIO_STORAGE_URL=s3://<bucket>/media), served to
# browsers only through CloudFront with Origin Access Control, and the access-log bucket for
# the ALB, CloudFront and S3 itself. The bucket policy that lets the distribution read media
# lives in the edge module, which knows the distribution.

data "aws_caller_identity" "current" {}
data "aws_elb_service_account" "current" {}

locals {
  media_bucket = "${var.name}-media-${data.aws_caller_identity.current.account_id}"
  logs_bucket  = "${var.name}-logs-${data.aws_caller_identity.current.account_id}"
}

# --- media ----------------------------------------------------------------------------------

resource "aws_s3_bucket" "media" {
  # checkov:skip=CKV_AWS_144:Cross-region copies come from AWS Backup (backup module), which also keeps point-in-time versions.
  # checkov:skip=CKV_AWS_145:SSE-S3, not KMS: CloudFront reads every object, and SSE-KMS would add a KMS call (and cost) per cache miss for no gain on public images.
  # checkov:skip=CKV2_AWS_62:Nothing consumes object events; thumbnails are made by the app's own job queue.
  bucket        = local.media_bucket
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_logging" "media" {
  bucket        = aws_s3_bucket.media.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/media/"
  # The log bucket must allow the logging service before logging can point at it.
  depends_on = [aws_s3_bucket_policy.logs]
}

# --- access logs ----------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop.
  # checkov:skip=CKV_AWS_144:Access logs are kept for investigation in-region only; they are not needed for recovery.
  # checkov:skip=CKV_AWS_145:ALB access logs can only be written to SSE-S3 buckets.
  # checkov:skip=CKV2_AWS_62:Nothing consumes log-delivery events.
  bucket        = local.logs_bucket
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# CloudFront standard logs are delivered with an ACL, which needs ACLs enabled on the bucket.
resource "aws_s3_bucket_ownership_controls" "logs" {
  # checkov:skip=CKV2_AWS_65:CloudFront standard logging writes with an ACL, so ACLs must stay enabled on the log bucket (only).
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AlbAccessLogs"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.current.arn }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/alb/*"
      },
      {
        Sid       = "S3ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/s3/media/*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# Origin Access Control: CloudFront signs its requests to the private buckets.
resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-s3"
  description                       = "CloudFront to the private ${var.name} buckets"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}
