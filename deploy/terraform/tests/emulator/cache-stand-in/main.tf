# Stand-in for modules/cache in the emulator run only (moto cannot create ElastiCache
# replication groups). Same inputs and outputs; the secret is real, the cache is not.

variable "name" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_id" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "node_type" {
  type = string
}

variable "replicas" {
  type = number
}

variable "log_retention_days" {
  type = number
}

resource "aws_secretsmanager_secret" "url" {
  # checkov:skip=CKV2_AWS_57:Emulator-only stand-in; never deployed.
  name       = "${var.name}/cache-url"
  kms_key_id = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "url" {
  secret_id     = aws_secretsmanager_secret.url.id
  secret_string = "rediss://stand-in.invalid:6379"
}

output "replication_group_id" {
  value = "${var.name}-stand-in"
}

output "primary_endpoint" {
  value = "stand-in.invalid"
}

output "url_secret_arn" {
  value = aws_secretsmanager_secret.url.arn
}

output "automatic_failover" {
  value = false
}
