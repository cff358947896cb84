output "replication_group_id" {
  description = "ID of the replication group (CloudWatch dimension)."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "Host name of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "url_secret_arn" {
  description = "Secrets Manager secret holding FOLIO_CACHE_URL."
  value       = aws_secretsmanager_secret.url.arn
}

output "automatic_failover" {
  description = "Whether a replica takes over automatically."
  value       = aws_elasticache_replication_group.this.automatic_failover_enabled
}
