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

variable "vault_lock" {
  description = "Backup Vault Lock of both vaults. Recovery points must be kept at least min_retention_days and at most max_retention_days (retention_days must lie in between). changeable_for_days: compliance mode, the lock can be changed or removed only for that many days (at least 3) after it is applied and is IMMUTABLE afterwards (nobody, root user included, can remove it or delete a recovery point younger than the minimum); null: governance mode (removable by principals allowed backup:DeleteBackupVaultLockConfiguration)."
  type = object({
    min_retention_days  = number
    max_retention_days  = number
    changeable_for_days = optional(number)
  })
  default = {
    min_retention_days  = 7
    max_retention_days  = 365
    changeable_for_days = null
  }
  validation {
    condition     = var.vault_lock.min_retention_days >= 1 && var.vault_lock.max_retention_days >= var.vault_lock.min_retention_days && var.vault_lock.max_retention_days <= 36500
    error_message = "1 <= min_retention_days <= max_retention_days <= 36500."
  }
  validation {
    condition     = var.vault_lock.changeable_for_days == null ? true : var.vault_lock.changeable_for_days >= 3
    error_message = "changeable_for_days is at least 3 (AWS's minimum grace time), or null for governance mode."
  }
}

variable "notification_emails" {
  description = "Addresses told about failed backup, copy and restore jobs (each must confirm by email)."
  type        = list(string)
  default     = []
}
