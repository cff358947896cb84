# Backups that survive the loss of the primary region:
# - AWS Backup takes daily backups of the database and the media bucket and copies each one to
#   a vault in the DR region (restore there: deploy/runbooks/disaster-recovery.md);
# - RDS replicates its automated backups, transaction logs included, to the DR region, so the
#   database can be restored there to within minutes of a failure (the RPO);
# - both vaults are locked (AWS Backup Vault Lock): recovery points can be neither deleted nor
#   given a shorter retention than the lock's minimum, by anyone, so a compromised account or a
#   mistake cannot erase the backups;
# - failed backup, copy and restore jobs are announced on an SNS topic (email subscribers).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "dr" {
  provider                = aws.dr
  description             = "${var.name}: backup copies and replicated database backups in the DR region"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_backup_vault" "primary" {
  name        = var.name
  kms_key_arn = var.kms_key_arn
  tags        = var.tags
}

resource "aws_backup_vault" "dr" {
  provider    = aws.dr
  name        = "${var.name}-dr"
  kms_key_arn = aws_kms_key.dr.arn
  tags        = var.tags
}

# Vault Lock. With changeable_for_days set (compliance mode) the lock can be changed or removed
# only during those days after it is applied; after that it is IMMUTABLE: nobody, not the
# account's root user and not AWS, can remove it, shorten its minimum retention, delete a
# recovery point before it is min_retention_days old, or delete the vault while it holds
# recovery points. Test in governance mode (null: removable by principals allowed
# backup:DeleteBackupVaultLockConfiguration) before choosing compliance mode.
resource "aws_backup_vault_lock_configuration" "primary" {
  backup_vault_name   = aws_backup_vault.primary.name
  min_retention_days  = var.vault_lock.min_retention_days
  max_retention_days  = var.vault_lock.max_retention_days
  changeable_for_days = var.vault_lock.changeable_for_days
  lifecycle {
    # A plan whose retention lies outside the lock's range fails every job.
    precondition {
      condition     = var.retention_days >= var.vault_lock.min_retention_days && var.retention_days <= var.vault_lock.max_retention_days
      error_message = "retention_days must lie within the vault lock's min_retention_days and max_retention_days."
    }
  }
}

resource "aws_backup_vault_lock_configuration" "dr" {
  provider            = aws.dr
  backup_vault_name   = aws_backup_vault.dr.name
  min_retention_days  = var.vault_lock.min_retention_days
  max_retention_days  = var.vault_lock.max_retention_days
  changeable_for_days = var.vault_lock.changeable_for_days
}

# --- job notifications ------------------------------------------------------------------------
# AWS Backup no longer sends BACKUP_JOB_FAILED (deprecated with BACKUP_JOB_SUCCESSFUL, _EXPIRED,
# RESTORE_JOB_FAILED...): failures arrive as BACKUP_JOB_COMPLETED with State FAILED, ABORTED or
# EXPIRED, so the email subscriptions filter on the State message attribute. Copies to the DR
# region are jobs of the source vault, so the primary vault reports COPY_JOB_FAILED too.
locals {
  vault_events = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED", "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"]
}

# Encrypted with the environment's key (var.kms_key_arn), whose policy lets backup.amazonaws.com
# use it for this account (kms module, statement BackupEventsToSns).
resource "aws_sns_topic" "events" {
  name              = "${var.name}-backup-events"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "events" {
  arn = aws_sns_topic.events.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManages"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"]
        Resource  = aws_sns_topic.events.arn
      },
      {
        Sid       = "BackupPublishes"
        Effect    = "Allow"
        Principal = { Service = "backup.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.events.arn
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })
}

resource "aws_backup_vault_notifications" "primary" {
  backup_vault_name   = aws_backup_vault.primary.name
  sns_topic_arn       = aws_sns_topic.events.arn
  backup_vault_events = local.vault_events
  depends_on          = [aws_sns_topic_policy.events]
}

# Only what went wrong reaches people: every state but COMPLETED (restores too: a restore that
# completed is expected, one that failed is not).
resource "aws_sns_topic_subscription" "email" {
  for_each      = toset(var.notification_emails)
  topic_arn     = aws_sns_topic.events.arn
  protocol      = "email"
  endpoint      = each.value
  filter_policy = jsonencode({ State = [{ "anything-but" = "COMPLETED" }] })
}

resource "aws_backup_plan" "this" {
  name = var.name
  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 3 * * ? *)"
    start_window      = 60
    completion_window = 360
    lifecycle {
      delete_after = var.retention_days
    }
    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn
      lifecycle {
        delete_after = var.retention_days
      }
    }
  }
  tags = var.tags
}

resource "aws_iam_role" "backup" {
  name = "${var.name}-backup"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused deputy: AWS Backup documents aws:SourceAccount for resource policies (the SNS
      # topic and KMS key here use it) but not for assuming its service role, and AWS keeps no
      # list of services that send it on AssumeRole. A plain StringEquals would turn every
      # backup job into "role cannot be assumed" if Backup leaves the key out, so IfExists: the
      # account is enforced whenever Backup sends it. (Another account cannot point its plans at
      # this role anyway: iam:PassRole does not cross accounts.)
      Condition = { StringEqualsIfExists = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
  ])
  role       = aws_iam_role.backup.name
  policy_arn = each.value
}

resource "aws_backup_selection" "this" {
  count        = length(var.resource_arns) > 0 ? 1 : 0
  name         = var.name
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = var.resource_arns
}

resource "aws_db_instance_automated_backups_replication" "this" {
  count                  = var.replicate_db_backups ? 1 : 0
  provider               = aws.dr
  source_db_instance_arn = var.db_instance_arn
  kms_key_id             = aws_kms_key.dr.arn
  retention_period       = var.replication_retention_days
}
