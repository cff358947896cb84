output "replication_group_id" {
  description = "ID of the replication group (CloudWatch dimension)."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "Host name of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "url" {
  description = "FOLIO_CACHE_URL: the app's user at the primary endpoint over TLS. No secret in it: the user authenticates with IAM."
  value       = "rediss://${aws_elasticache_user.app.user_name}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"
}

output "connect_arns" {
  description = "The elasticache:Connect resources of the app (the replication group and its user), for the task role's policy."
  value       = [aws_elasticache_replication_group.this.arn, aws_elasticache_user.app.arn]
}

output "automatic_failover" {
  description = "Whether a replica takes over automatically."
  value       = aws_elasticache_replication_group.this.automatic_failover_enabled
}
