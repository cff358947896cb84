variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "subnet_ids" {
  description = "Private data subnets (one per zone)."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the database (allows 5432 from the tasks only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the connection secret."
  type        = string
}

variable "snapshot_identifier" {
  description = "Snapshot (name or ARN, in this region) to create the instance from, e.g. the primary's snapshot copied to the DR region (envs/dr); null: a new, empty database."
  type        = string
  default     = null
}

variable "engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.micro (dev) or db.m7g.large (prod)."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Initial storage; grows automatically up to max_allocated_storage_gb."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gb" {
  description = "Ceiling for storage autoscaling."
  type        = number
  default     = 200
}

variable "multi_az" {
  description = "A synchronous standby in a second zone (prod)."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse deletion of the instance (prod)."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery (at least 7)."
  type        = number
  default     = 14
  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Keep backups between 7 and 35 days."
  }
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
  default     = "folio"
}

variable "username" {
  description = "Master user name: owns the schema; only `folio migrate` logs in as it."
  type        = string
  default     = "folio"
}

variable "app_username" {
  description = "The role web and worker log in as (IAM authentication, row access only); `folio migrate` creates it."
  type        = string
  default     = "folio_app"
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.app_username))
    error_message = "app_username: lowercase letters, digits and _, starting with a letter or _ (what `folio migrate --app-role` accepts)."
  }
}

variable "log_retention_days" {
  description = "Days to keep the database's exported logs (postgresql, upgrade)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
