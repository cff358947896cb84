output "instance_arn" {
  description = "ARN of the database instance (for AWS Backup and DR replication)."
  value       = aws_db_instance.this.arn
}

output "instance_id" {
  description = "Identifier of the database instance (CloudWatch dimension)."
  value       = aws_db_instance.this.identifier
}

output "address" {
  description = "Host name of the database."
  value       = aws_db_instance.this.address
}

output "master_user_secret_arn" {
  description = "The RDS-managed secret of the master user (JSON: username, password); `folio migrate` reads its password."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "migrate_url" {
  description = "FOLIO_DATABASE_URL for `folio migrate`: the master user, no password (FOLIO_DATABASE_PASSWORD comes from master_user_secret_arn), TLS verified."
  value       = "postgres://${var.username}@${local.endpoint}?${local.tls_query}"
}

output "app_url" {
  description = "FOLIO_DATABASE_URL for web and worker: the application role with IAM authentication, no password, TLS verified. Not a secret."
  value       = "postgres://${var.app_username}@${local.endpoint}?${local.tls_query}"
}

output "app_username" {
  description = "The application role `folio migrate` creates (FOLIO_DATABASE_APP_ROLE)."
  value       = var.app_username
}

output "app_user_arn" {
  description = "The rds-db:connect resource of the application role, for the task role's policy."
  value       = "arn:${data.aws_partition.current.partition}:rds-db:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:dbuser:${aws_db_instance.this.resource_id}/${var.app_username}"
}

output "multi_az" {
  description = "Whether a standby runs in a second zone."
  value       = aws_db_instance.this.multi_az
}

output "deletion_protection" {
  description = "Whether deletion is refused."
  value       = aws_db_instance.this.deletion_protection
}

output "backup_retention_days" {
  description = "Days of PITR."
  value       = aws_db_instance.this.backup_retention_period
}
