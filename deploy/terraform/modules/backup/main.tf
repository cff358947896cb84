# Backups that survive the loss of the primary region:
# - AWS Backup takes daily backups of the database and the media bucket and copies each one to
#   a vault in the DR region (restore there: deploy/runbooks/disaster-recovery.md);
# - RDS replicates its automated backups, transaction logs included, to the DR region, so the
#   database can be restored there to within minutes of a failure (the RPO).

data "aws_caller_identity" "current" {}

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
