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

output "url_secret_arn" {
  description = "Secrets Manager secret holding FOLIO_DATABASE_URL."
  value       = aws_secretsmanager_secret.url.arn
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
