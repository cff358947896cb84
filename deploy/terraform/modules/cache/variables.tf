variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "subnet_ids" {
  description = "Private data subnets (one per zone)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the cache (allows 6379 from the tasks only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for data at rest, the connection secret and the log group."
  type        = string
}

variable "node_type" {
  description = "Node type, e.g. cache.t4g.micro (dev) or cache.m7g.large (prod)."
  type        = string
}

variable "replicas" {
  description = "Read replicas besides the primary; 1 or more turns on automatic failover across zones."
  type        = number
  default     = 0
}

variable "engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "log_retention_days" {
  description = "Days to keep the slow log."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
