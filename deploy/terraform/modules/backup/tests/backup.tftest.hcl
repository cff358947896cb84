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

# Issue 13: the vaults are locked and failed jobs are announced.
run "vault_lock" {
  variables {
    retention_days = 35
    vault_lock     = { min_retention_days = 7, max_retention_days = 365, changeable_for_days = 3 }
  }
  assert {
    condition = alltrue([for l in [aws_backup_vault_lock_configuration.primary, aws_backup_vault_lock_configuration.dr] :
    l.min_retention_days == 7 && l.max_retention_days == 365 && l.changeable_for_days == 3])
    error_message = "Both vaults are locked with the given retention range, in compliance mode after 3 days."
  }
  assert {
    condition     = aws_backup_vault_lock_configuration.primary.backup_vault_name == aws_backup_vault.primary.name && aws_backup_vault_lock_configuration.dr.backup_vault_name == aws_backup_vault.dr.name
    error_message = "The locks are on the primary and the DR vault."
  }
}

run "vault_lock_governance_by_default" {
  assert {
    condition     = aws_backup_vault_lock_configuration.primary.changeable_for_days == null && aws_backup_vault_lock_configuration.dr.changeable_for_days == null
    error_message = "Without changeable_for_days the locks are in governance mode (removable)."
  }
}

run "vault_lock_must_admit_the_plan_retention" {
  command = plan
  variables {
    retention_days = 5
  }
  expect_failures = [aws_backup_vault_lock_configuration.primary]
}

run "vault_lock_grace_time_at_least_3_days" {
  command = plan
  variables {
    vault_lock = { min_retention_days = 7, max_retention_days = 365, changeable_for_days = 1 }
  }
  expect_failures = [var.vault_lock]
}

run "job_notifications" {
  variables {
    notification_emails = ["ops@example.org"]
  }
  assert {
    condition     = aws_backup_vault_notifications.primary.backup_vault_name == aws_backup_vault.primary.name && aws_backup_vault_notifications.primary.sns_topic_arn == aws_sns_topic.events.arn
    error_message = "The primary vault (whose jobs include the copies to the DR region) reports to the events topic."
  }
  assert {
    condition     = toset(aws_backup_vault_notifications.primary.backup_vault_events) == toset(["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED", "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"])
    error_message = "Backup (failed ones arrive as BACKUP_JOB_COMPLETED), copy-failure and restore events are sent; no deprecated event names."
  }
  assert {
    condition     = jsondecode(aws_sns_topic_subscription.email["ops@example.org"].filter_policy) == { State = [{ "anything-but" = "COMPLETED" }] } && aws_sns_topic_subscription.email["ops@example.org"].protocol == "email"
    error_message = "People get every job state but COMPLETED."
  }
  assert {
    condition     = aws_sns_topic.events.kms_master_key_id == var.kms_key_arn
    error_message = "The events topic is encrypted with the environment's key."
  }
  assert {
    condition = one([for st in jsondecode(aws_sns_topic_policy.events.policy).Statement : st if st.Sid == "BackupPublishes"]) == {
      Sid       = "BackupPublishes"
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.events.arn
      Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
    }
    error_message = "Only AWS Backup of this account may publish (besides the account itself)."
  }
}

# Confused deputy: the account is checked whenever AWS Backup sends it (IfExists: the key is not
# documented for Backup's AssumeRole, and a missing key must not fail every job; issue 13).
run "backup_role_names_the_account" {
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role.backup.assume_role_policy).Statement : s.Condition.StringEqualsIfExists["aws:SourceAccount"] == "123456789012"])
    error_message = "The backup role names this account (aws:SourceAccount)."
  }
}
