variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key (primary region) for the backup vault."
  type        = string
}

variable "resource_arns" {
  description = "Resources to back up (the database and the media bucket). Empty: no selection (the plan and vaults still exist)."
  type        = list(string)
}

variable "retention_days" {
  description = "Days to keep the daily backups, in both regions."
  type        = number
  default     = 35
}

variable "db_instance_arn" {
  description = "Database whose automated backups (snapshots and transaction logs) are replicated to the DR region for point-in-time recovery there."
  type        = string
}

variable "replicate_db_backups" {
  description = "Replicate the database's automated backups to the DR region (RPO of minutes there)."
  type        = bool
  default     = true
}

variable "replication_retention_days" {
  description = "Days of point-in-time recovery kept in the DR region."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
