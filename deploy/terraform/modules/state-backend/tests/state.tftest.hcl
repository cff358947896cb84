mock_provider "aws" {
  source = "../../tests/mocks"
}

run "state_bucket" {
  variables {
    bucket_name = "folio-terraform-state-123456789012"
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "State is versioned."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "State is encrypted with KMS."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "State can never be public."
  }
}
