mock_provider "aws" {
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "dr"
  source = "../../tests/mocks"
}

# Distinct keys, so the replication checks can tell the regions apart.
override_resource {
  target = aws_kms_key.this
  values = { arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-0000000000s1" }
}

override_resource {
  target = aws_kms_key.replica
  values = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-0000000000d1" }
}

override_resource {
  target = aws_s3_bucket.replica
  values = { arn = "arn:aws:s3:::folio-terraform-state-123456789012-dr", id = "folio-terraform-state-123456789012-dr" }
}

variables {
  bucket_name         = "folio-terraform-state-123456789012"
  replica_bucket_name = "folio-terraform-state-123456789012-dr"
}

run "state_bucket" {
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

# Issue 13: the state survives the primary region.
run "state_replicated_to_the_dr_region" {
  assert {
    condition     = aws_s3_bucket_versioning.replica.versioning_configuration[0].status == "Enabled"
    error_message = "The replica is versioned (S3 replication needs versioning on both sides)."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.replica.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.replica.arn && aws_s3_bucket_public_access_block.replica.restrict_public_buckets
    error_message = "The replica is private and encrypted with its own key in the DR region."
  }
  assert {
    condition = (
      aws_s3_bucket_replication_configuration.this.bucket == aws_s3_bucket.this.id
      && one(aws_s3_bucket_replication_configuration.this.rule).status == "Enabled"
      && one(aws_s3_bucket_replication_configuration.this.rule).destination[0].bucket == aws_s3_bucket.replica.arn
      && one(aws_s3_bucket_replication_configuration.this.rule).destination[0].encryption_configuration[0].replica_kms_key_id == aws_kms_key.replica.arn
      && one(aws_s3_bucket_replication_configuration.this.rule).source_selection_criteria[0].sse_kms_encrypted_objects[0].status == "Enabled"
    )
    error_message = "Every (KMS-encrypted) state version is replicated to the DR bucket and re-encrypted there with the DR key."
  }
  assert {
    condition     = aws_s3_bucket_replication_configuration.this.role == aws_iam_role.replication.arn && contains([for st in jsondecode(aws_iam_role_policy.replication.policy).Statement : st.Resource], "${aws_s3_bucket.replica.arn}/*")
    error_message = "S3 replicates as a role that may write only the replica bucket's objects."
  }
}
