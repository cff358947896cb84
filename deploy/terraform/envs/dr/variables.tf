variable "environment" {
  description = "The primary environment this one stands in for (prod); names are folio-<environment>-dr."
  type        = string
}

variable "region" {
  description = "The DR region (the primary environment's dr_region): everything of this composition is made here."
  type        = string
}

variable "primary_region" {
  description = "The primary environment's region. Nothing is made there; SES (email) stays there."
  type        = string
  validation {
    condition     = var.primary_region != var.region
    error_message = "The DR composition runs in a region other than the primary's."
  }
}

variable "availability_zones" {
  description = "Zones of the DR region to use (2 or 3)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 range of the DR VPC (different from the primary's, should they ever be peered)."
  type        = string
}

variable "domain_name" {
  description = "The site's host name (the primary's): the DR ALB answers as origin.<domain_name>."
  type        = string
}

variable "route53_zone_id" {
  description = "Hosted zone of domain_name (Route 53 is global: it survives the primary region)."
  type        = string
}

variable "email_from" {
  description = "FOLIO_EMAIL_FROM, as in the primary."
  type        = string
}

variable "alarm_emails" {
  description = "Who gets alarm emails."
  type        = list(string)
}

variable "distribution_id" {
  description = "The primary's CloudFront distribution (global, it stays): its 5xx alarm, and the only distribution allowed to read the DR media bucket."
  type        = string
}

variable "db_snapshot_identifier" {
  description = "Snapshot in the DR region to restore the database from (a copy of the primary's, name or ARN). null: the newest manual snapshot in this region of the primary's instance (copies made by copy-db-snapshot keep its identifier)."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Tag of the image the primary last ran (its replica is in this region's ECR repository of the same name)."
  type        = string
}

variable "take_traffic" {
  description = "Point origin.<domain_name> at this region's ALB (CloudFront then sends the site's traffic here). false: the composition is up but idle, e.g. while the restore is checked."
  type        = bool
  default     = false
}

variable "production" {
  description = "Production settings, as the primary's (Multi-AZ database, deletion protection, NAT gateway per zone, cache replica)."
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

variable "log_retention_days" {
  description = "Days to keep logs."
  type        = number
}

variable "backup_retention_days" {
  description = "Days of database PITR in the DR region."
  type        = number
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic-shifting configuration."
  type        = string
  default     = "CodeDeployDefault.ECSAllAtOnce"
}
