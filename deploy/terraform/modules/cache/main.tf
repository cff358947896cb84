# ElastiCache Redis for sessions and the page cache: TLS in transit, encrypted at rest, and
# access control by users instead of a shared AUTH token, so no token passes through
# Terraform's state. The app's user authenticates with IAM (a SigV4 token signed with the task
# role, the same scheme as the database's); the built-in `default` user is replaced by a
# disabled one. FOLIO_CACHE_URL names the user and host only: it is not a secret.

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
  user_group_ids             = [aws_elasticache_user_group.this.user_group_id]

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

  tags = var.tags
}

# Every user group must hold a user named "default"; this one can do nothing.
resource "aws_elasticache_user" "default" {
  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = "REDIS"
  access_string = "off -@all"
  authentication_mode {
    type = "no-password-required"
  }
  tags = var.tags
}

# The app. IAM authentication needs user_id == user_name. Every key and channel, no dangerous
# commands (FLUSHALL, CONFIG, KEYS, DEBUG...).
resource "aws_elasticache_user" "app" {
  user_id       = "${var.name}-app"
  user_name     = "${var.name}-app"
  engine        = "REDIS"
  access_string = "on ~* &* +@all -@dangerous"
  authentication_mode {
    type = "iam"
  }
  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "REDIS"
  user_ids      = [aws_elasticache_user.default.user_id, aws_elasticache_user.app.user_id]
  tags          = var.tags
}
