variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the log groups and the alarm topic."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep the containers' logs."
  type        = number
  default     = 90
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each must confirm by email)."
  type        = list(string)
  default     = []
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix (app module)."
  type        = string
}

variable "target_group_arn_suffixes" {
  description = "Target group ARN suffixes keyed blue and green (app module)."
  type        = map(string)
}

variable "cluster_name" {
  description = "ECS cluster (app module)."
  type        = string
}

variable "service_names" {
  description = "ECS services keyed web and worker (app module)."
  type        = object({ web = string, worker = string })
}

variable "db_instance_id" {
  description = "RDS instance identifier (data module)."
  type        = string
}

variable "cache_replication_group_id" {
  description = "ElastiCache replication group (cache module)."
  type        = string
}

variable "queue_depth_threshold" {
  description = "Queued jobs that, sustained for 15 minutes, raise an alarm."
  type        = number
  default     = 500
}

variable "oldest_queued_age_threshold_seconds" {
  description = "Age in seconds of the oldest queued job (folio_jobs_oldest_queued_age_seconds, Maximum) that, sustained for 15 minutes, raises an alarm."
  type        = number
  default     = 900
  validation {
    condition     = var.oldest_queued_age_threshold_seconds >= 60
    error_message = "At least 60 seconds (the app samples the queue about once a minute)."
  }
}

variable "metrics_log_retention_days" {
  description = "Days to keep the collector's EMF records (the raw per-scrape figures; the CloudWatch metrics themselves are kept 15 months regardless)."
  type        = number
  default     = 14
}

variable "target_5xx_threshold" {
  description = "App 5xx responses per minute that stop a deployment and page."
  type        = number
  default     = 10
}

variable "latency_p99_seconds" {
  description = "p99 response time that stops a deployment and pages."
  type        = number
  default     = 2
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "distribution_id" {
  description = "CloudFront distribution (edge module); its 5xx error rate raises an alarm in us-east-1."
  type        = string
}

variable "elb_5xx_threshold" {
  description = "5xx responses per minute from the load balancer itself (no healthy target, resets, timeouts) that page."
  type        = number
  default     = 10
}

variable "cloudfront_5xx_rate_percent" {
  description = "Share of viewer requests answered 5xx by CloudFront (percent, 3 of 5 minutes) that pages."
  type        = number
  default     = 5
}

variable "heartbeat_minutes" {
  description = "Minutes without the worker's \"worker alive\" log line (logged every minute) before the heartbeat alarm fires."
  type        = number
  default     = 5
  validation {
    condition     = var.heartbeat_minutes >= 2 && var.heartbeat_minutes == floor(var.heartbeat_minutes)
    error_message = "At least 2 whole minutes (the worker logs once a minute)."
  }
}
