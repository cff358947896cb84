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
  assert {
    condition     = length(aws_elasticache_replication_group.this.auth_token) >= 16
    error_message = "Redis requires an AUTH token."
  }
  assert {
    condition     = startswith(aws_secretsmanager_secret_version.url.secret_string, "rediss://:") && endswith(aws_secretsmanager_secret_version.url.secret_string, "@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379")
    error_message = "FOLIO_CACHE_URL uses TLS (rediss://) and the token."
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
