mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name              = "folio-test"
  subnet_ids        = ["subnet-a", "subnet-b"]
  security_group_id = "sg-cache"
  kms_key_arn       = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  node_type         = "cache.t4g.micro"
}

run "tls_and_auth" {
  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled && aws_elasticache_replication_group.this.at_rest_encryption_enabled
    error_message = "Redis is encrypted in transit and at rest."
  }
  # Issue 13: no AUTH token in Terraform state; users instead, the app's by IAM.
  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == null && aws_elasticache_replication_group.this.user_group_ids == toset([aws_elasticache_user_group.this.user_group_id])
    error_message = "Access is by the user group, not a shared AUTH token."
  }
  assert {
    condition     = one(aws_elasticache_user.app.authentication_mode).type == "iam" && aws_elasticache_user.app.user_id == aws_elasticache_user.app.user_name
    error_message = "The app's user authenticates with IAM (which needs user_id == user_name)."
  }
  assert {
    condition     = aws_elasticache_user.default.user_name == "default" && startswith(aws_elasticache_user.default.access_string, "off ")
    error_message = "The mandatory default user is disabled."
  }
  assert {
    condition     = strcontains(aws_elasticache_user.app.access_string, "-@dangerous")
    error_message = "The app's user can't run dangerous commands (FLUSHALL, CONFIG, KEYS...)."
  }
  assert {
    condition     = output.url == "rediss://folio-test-app@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"
    error_message = "FOLIO_CACHE_URL: TLS, the app's user, no secret."
  }
  assert {
    condition     = aws_elasticache_replication_group.this.security_group_ids == toset(["sg-cache"])
    error_message = "Only the cache security group."
  }
  assert {
    condition     = !aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.num_cache_clusters == 1
    error_message = "Without replicas: one node, no failover."
  }
}

run "replica_fails_over" {
  variables {
    replicas = 1
  }
  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled && aws_elasticache_replication_group.this.num_cache_clusters == 2
    error_message = "A replica in another zone takes over automatically."
  }
}
