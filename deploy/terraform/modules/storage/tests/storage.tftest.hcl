mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "folio-test"
}

run "private_encrypted_versioned" {
  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.media, aws_s3_bucket_public_access_block.logs] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "No bucket can be made public."
  }
  assert {
    condition     = aws_s3_bucket_versioning.media.versioning_configuration[0].status == "Enabled"
    error_message = "Media is versioned."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.media.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "Media is encrypted at rest."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.media.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are off on the media bucket."
  }
  assert {
    condition     = aws_s3_bucket.media.bucket == "folio-test-media-123456789012"
    error_message = "Bucket names carry the account ID."
  }
  assert {
    condition     = aws_cloudfront_origin_access_control.this.signing_behavior == "always" && aws_cloudfront_origin_access_control.this.origin_access_control_origin_type == "s3"
    error_message = "CloudFront signs every request to the buckets (OAC)."
  }
}
