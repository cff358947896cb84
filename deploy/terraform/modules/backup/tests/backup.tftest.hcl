mock_provider "aws" {
  source = "../../tests/mocks"
}

mock_provider "aws" {
  alias  = "dr"
  source = "../../tests/mocks"
}

variables {
  name            = "folio-test"
  kms_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  db_instance_arn = "arn:aws:rds:eu-central-1:123456789012:db:folio-test"
  resource_arns   = ["arn:aws:rds:eu-central-1:123456789012:db:folio-test", "arn:aws:s3:::folio-test-media"]
}

run "cross_region_copies" {
  assert {
    condition     = one(one(aws_backup_plan.this.rule).copy_action).destination_vault_arn == aws_backup_vault.dr.arn
    error_message = "Every backup is copied to the DR region's vault."
  }
  assert {
    condition     = one(aws_backup_selection.this).resources == toset(var.resource_arns)
    error_message = "The database and media bucket are selected."
  }
  assert {
    condition     = one(aws_db_instance_automated_backups_replication.this).source_db_instance_arn == var.db_instance_arn
    error_message = "Automated database backups (with transaction logs) are replicated to the DR region."
  }
}

run "nothing_selected" {
  variables {
    resource_arns        = []
    replicate_db_backups = false
  }
  assert {
    condition     = length(aws_backup_selection.this) == 0 && length(aws_db_instance_automated_backups_replication.this) == 0
    error_message = "Selection and replication are optional."
  }
}
