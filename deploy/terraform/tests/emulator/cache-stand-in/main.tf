# Stand-in for modules/cache in the emulator run only (moto cannot create ElastiCache
# replication groups or users). Same inputs and outputs; nothing is created.

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

output "replication_group_id" {
  value = "${var.name}-stand-in"
}

output "primary_endpoint" {
  value = "stand-in.invalid"
}

output "url" {
  value = "rediss://${var.name}-app@stand-in.invalid:6379"
}

output "connect_arns" {
  value = ["arn:aws:elasticache:us-east-1:123456789012:replicationgroup:${var.name}-stand-in", "arn:aws:elasticache:us-east-1:123456789012:user:${var.name}-app"]
}

output "automatic_failover" {
  value = false
}
