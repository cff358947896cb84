# ElastiCache Redis for sessions and the page cache: TLS in transit, encrypted at rest, and an
# AUTH token. The app gets the whole rediss:// URL from Secrets Manager as FOLIO_CACHE_URL.
# As in the data module, the generated token is fixed after creation (ignore_changes) and
# rotated by the runbook.

data "aws_secretsmanager_random_password" "this" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_cloudwatch_log_group" "slow" {
  # checkov:skip=CKV_AWS_338:Retention is the environment's choice (log_retention_days: 365 in prod, 30 in dev to keep cost down).
  name              = "/folio/${var.name}/redis-slow"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  # checkov:skip=CKV2_AWS_50:Failover needs a replica: on whenever replicas >= 1 (prod; asserted by the prod test), off in dev to halve its cost.
  replication_group_id = var.name
  description          = "Folio sessions and cache"
  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  num_cache_clusters   = 1 + var.replicas

  automatic_failover_enabled = var.replicas > 0
  multi_az_enabled           = var.replicas > 0

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [var.security_group_id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = data.aws_secretsmanager_random_password.this.random_password

  snapshot_retention_limit   = 7
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:04:30-sun:05:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  lifecycle {
    ignore_changes = [auth_token]
  }
  tags = var.tags
}

resource "aws_secretsmanager_secret" "url" {
  # checkov:skip=CKV2_AWS_57:Rotated by deploy/runbooks/rotate-secrets.md: the secret is a whole URL (or a key that signs sessions), which no managed rotation function rebuilds.
  name        = "${var.name}/cache-url"
  description = "FOLIO_CACHE_URL for ${var.name}"
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "url" {
  secret_id     = aws_secretsmanager_secret.url.id
  secret_string = "rediss://:${data.aws_secretsmanager_random_password.this.random_password}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"
  lifecycle {
    ignore_changes = [secret_string]
  }
}
