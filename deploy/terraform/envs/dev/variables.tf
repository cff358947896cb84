variable "environment" {
  description = "Environment name: dev or prod."
  type        = string
}

variable "region" {
  description = "Primary AWS region."
  type        = string
}

variable "dr_region" {
  description = "Disaster-recovery region for backup copies."
  type        = string
}

variable "availability_zones" {
  description = "Zones of the primary region to use (2 or 3)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string
}

variable "domain_name" {
  description = "The site's host name; FOLIO_BASE_URL is https://<domain_name>."
  type        = string
}

variable "route53_zone_id" {
  description = "Hosted zone that holds domain_name (created before the first apply)."
  type        = string
}

variable "email_from" {
  description = "FOLIO_EMAIL_FROM, an address at domain_name."
  type        = string
}

variable "alarm_emails" {
  description = "Who gets alarm emails."
  type        = list(string)
}

variable "github_repository" {
  description = "owner/name of the GitHub repository that deploys."
  type        = string
}

variable "github_oidc_provider_arn" {
  description = "GitHub OIDC provider of the account (output of deploy/terraform/bootstrap)."
  type        = string
}

variable "image_tag" {
  description = "Image tag of the first task definitions (pushed before the first full apply)."
  type        = string
}

variable "production" {
  description = "Production settings: Multi-AZ database, deletion protection, a NAT gateway and a cache replica per zone, no night-time scale-down."
  type        = bool
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "web" {
  description = "Web service size and autoscaling."
  type = object({
    cpu                 = number
    memory              = number
    min                 = number
    max                 = number
    cpu_target          = number
    requests_per_target = number
  })
}

variable "worker" {
  description = "Worker service size and queue-driven autoscaling (app module): min and max tasks of this environment, and optionally the targets (queued jobs per task, oldest queued job's age in seconds) and cooldowns."
  type = object({
    cpu                      = number
    memory                   = number
    min                      = number
    max                      = number
    queued_jobs_per_task     = optional(number, 20)
    oldest_queued_age_target = optional(number, 120)
    scale_out_cooldown       = optional(number, 60)
    scale_in_cooldown        = optional(number, 600)
  })
  validation {
    # Never zero by configuration: someone must run the jobs (the nightly scale-down of
    # non-production environments is a schedule, not this minimum).
    condition     = var.worker.min >= 1 && var.worker.max >= var.worker.min
    error_message = "worker.min must be at least 1 and worker.max at least worker.min."
  }
}

variable "site_name" {
  description = "FOLIO_SITE_NAME: the site's name on pages and in emails."
  type        = string
}

variable "site_description" {
  description = "FOLIO_SITE_DESCRIPTION: the site's one-line description on pages and in emails."
  type        = string
}

variable "scale_down_schedule" {
  description = "Nightly scale-to-zero (UTC cron expressions) for non-production; null to keep running."
  type = object({
    down = string
    up   = string
  })
  default = null
}

variable "log_retention_days" {
  description = "Days to keep logs."
  type        = number
}

variable "backup_retention_days" {
  description = "Days of database PITR and of daily backups."
  type        = number
}

variable "backup_vault_lock_changeable_for_days" {
  description = "null: the backup vaults' locks are in governance mode (removable with backup:DeleteBackupVaultLockConfiguration). A number (>= 3): compliance mode, changeable for that many days after the apply and IMMUTABLE afterwards; nobody, the root user included, can then remove the lock or delete a recovery point younger than 7 days (deploy/runbooks/backup-restore.md)."
  type        = number
  default     = null
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic-shifting configuration."
  type        = string
}

variable "ses_hook_subscription" {
  description = "Subscribe https://<domain_name>/hooks/ses to SES's bounce and complaint topic. Terraform waits for the running app to confirm it, so an environment's first apply (and the one that introduces the topic) sets it false: first-deploy.md, step 5c."
  type        = bool
  default     = true
}

variable "origin_verify_accept_previous" {
  description = "Only while rotating the origin-verify header: the ALB also accepts the previous value (runbooks/rotate-secrets.md)."
  type        = bool
  default     = false
}

variable "initial_live_target_group" {
  description = "Target group the ALB's production rule starts on when Terraform creates it (runbooks/deploy.md); CodeDeploy owns it afterwards."
  type        = string
  default     = "blue"
}
