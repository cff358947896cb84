variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the target groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "app_subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "app_security_group_id" {
  description = "Security group of the tasks."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate (same region) for the HTTPS listeners."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for ECR, the secret key's secret, and reading the other secrets."
  type        = string
}

variable "secret_replicas" {
  description = "Region => KMS key ARN there: read-only replicas of the secret-key and origin-verify secrets, kept in sync by Secrets Manager (the DR region; envs/dr reads them). Empty: no replicas."
  type        = map(string)
  default     = {}
}

variable "secret_key_secret_arn" {
  description = "Only in the DR composition (envs/dr): an existing FOLIO_SECRET_KEY secret (the primary's replica in this region) instead of this module's own."
  type        = string
  default     = null
}

variable "origin_verify_secret_arn" {
  description = "Only in the DR composition (envs/dr): an existing origin-verify secret (the primary's replica in this region, whose value the one CloudFront distribution sends) instead of this module's own."
  type        = string
  default     = null
}

variable "image_repository_url" {
  description = "Only in the DR composition (envs/dr): the registry repository the tasks pull from (the primary's ECR replica in this region) instead of this module's own."
  type        = string
  default     = null
}

variable "logs_bucket_id" {
  description = "Bucket for ALB access logs (prefix alb/)."
  type        = string
}

variable "log_group_names" {
  description = "CloudWatch log groups of the containers, keyed web, worker, migrate (observability module)."
  type        = object({ web = string, worker = string, migrate = string })
}

variable "base_url" {
  description = "Public URL of the site: FOLIO_BASE_URL (https://…)."
  type        = string
  validation {
    condition     = startswith(var.base_url, "https://")
    error_message = "The base URL of a deployed environment must be https://."
  }
}

variable "email_from" {
  description = "FOLIO_EMAIL_FROM, e.g. Folio <no-reply@example.org>."
  type        = string
}

variable "media_bucket_id" {
  description = "Media bucket; the tasks may read and write under media/."
  type        = string
}

variable "media_bucket_arn" {
  description = "ARN of the media bucket."
  type        = string
}

variable "ses_identity_arn" {
  description = "SES identity the tasks may send as."
  type        = string
}

variable "ses_configuration_set_arn" {
  description = "SES configuration set the tasks send through (SES v2 SendEmail authorises against it too)."
  type        = string
}

variable "email_url" {
  description = "FOLIO_EMAIL_URL, a plain environment variable of every container: ses://<region>?configuration_set=<name> (the task role signs)."
  type        = string
  validation {
    condition     = !can(regex("^[a-z0-9+.-]+://[^/?#]*@", var.email_url))
    error_message = "email_url must not carry credentials: it is a plain environment variable (the ses:// transport uses the task role)."
  }
}

variable "ses_topic_arns" {
  description = "SNS topics whose SES bounce/complaint notifications web accepts at POST /hooks/ses (FOLIO_SES_TOPIC_ARN, comma-separated); empty leaves the endpoint off."
  type        = list(string)
  default     = []
}

variable "database" {
  description = "The data module's connection outputs: web and worker use app_url as app_username with IAM authentication (app_user_arn); migrate uses migrate_url with the password from the RDS-managed master_user_secret_arn and creates the app role."
  type = object({
    app_url                = string
    app_username           = string
    app_user_arn           = string
    migrate_url            = string
    master_user_secret_arn = string
  })
  validation {
    condition     = !can(regex("://[^/@]*:[^/@]*@", var.database.app_url)) && !can(regex("://[^/@]*:[^/@]*@", var.database.migrate_url))
    error_message = "No password in the database URLs: the app role uses IAM tokens, migrate gets FOLIO_DATABASE_PASSWORD from the RDS-managed secret."
  }
}

variable "cache" {
  description = "The cache module's outputs: FOLIO_CACHE_URL (no secret in it) and the elasticache:Connect resources of the app's IAM-authenticated user."
  type = object({
    url          = string
    connect_arns = list(string)
  })
}

variable "image_tag" {
  description = "Image tag of the first task definitions. Later tags are the pipeline's: Terraform ignores task-definition changes on the services."
  type        = string
  default     = "bootstrap"
}

variable "app_port" {
  description = "Port the container listens on."
  type        = number
  default     = 8000
}

variable "web" {
  description = "Web service size and scaling: CPU units, memory MiB, min/max tasks, CPU target %, requests per task per minute (both target groups)."
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
  description = "Worker service size and scaling: CPU units, memory MiB, min/max tasks (min >= 1 so jobs always run), the queued jobs per worker task and the oldest queued job's age (seconds) that target tracking aims at, and the cooldowns (scale in slower than out)."
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
    # At least one worker: the queue gauges exist with no worker (web publishes them too), but
    # nothing would run the jobs while target tracking waits for its alarm.
    condition     = var.worker.min >= 1 && var.worker.min == floor(var.worker.min) && var.worker.max >= var.worker.min && var.worker.max <= 50 && var.worker.max == floor(var.worker.max)
    error_message = "worker.min and worker.max are whole numbers with 1 <= min <= max <= 50."
  }
  validation {
    condition     = var.worker.queued_jobs_per_task > 0 && var.worker.oldest_queued_age_target >= 10
    error_message = "worker.queued_jobs_per_task must be > 0 and worker.oldest_queued_age_target at least 10 seconds."
  }
  validation {
    # Scale out fast when jobs pile up, scale in slowly so a burst does not flap the service.
    condition     = var.worker.scale_out_cooldown >= 0 && var.worker.scale_in_cooldown > var.worker.scale_out_cooldown
    error_message = "worker.scale_in_cooldown must be longer than worker.scale_out_cooldown."
  }
}

variable "site_name" {
  description = "FOLIO_SITE_NAME of web and worker: the site's name on pages and in emails."
  type        = string
  validation {
    condition     = length(trimspace(var.site_name)) > 0 && length(var.site_name) <= 100
    error_message = "site_name is 1 to 100 characters."
  }
}

variable "site_description" {
  description = "FOLIO_SITE_DESCRIPTION of web and worker: the site's one-line description on pages and in emails."
  type        = string
  validation {
    condition     = length(var.site_description) <= 300
    error_message = "site_description is at most 300 characters."
  }
}

variable "metrics_port" {
  description = "Port of the app's Prometheus listener (FOLIO_METRICS_LISTEN=0.0.0.0:<port>) on web and worker. Only the collector sidecar reads it, over the task's localhost: no security group rule, port mapping or listener opens it."
  type        = number
  default     = 9464
  validation {
    condition     = var.metrics_port > 1024 && var.metrics_port < 65536 && var.metrics_port != var.app_port && var.metrics_port != 13133
    error_message = "metrics_port is an unprivileged port other than app_port and the collector's health port (13133)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the collector sidecar publishes the app's metrics to (observability module's metrics_namespace, Folio/<name>); the task role may put metrics into it only."
  type        = string
}

variable "metrics_log_group_name" {
  description = "Log group the collector's awsemf exporter writes its embedded-metric-format records to (observability module's metrics_log_group_name); the task role may write there only."
  type        = string
}

variable "metrics_collector" {
  description = "The ADOT collector sidecar of web and worker: image (ECR Public, pinned tag), CPU units and memory MiB (hard limit; it is not essential, so hitting it never stops the app), scrape interval in seconds."
  type = object({
    image                   = optional(string, "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3")
    cpu                     = optional(number, 64)
    memory                  = optional(number, 128)
    scrape_interval_seconds = optional(number, 30)
  })
  default = {}
  validation {
    condition     = can(regex("^public\\.ecr\\.aws/aws-observability/aws-otel-collector:v[0-9]+\\.[0-9]+\\.[0-9]+$", var.metrics_collector.image))
    error_message = "The collector image is aws-otel-collector from ECR Public with a pinned vX.Y.Z tag (never latest)."
  }
  validation {
    condition     = var.metrics_collector.cpu >= 32 && var.metrics_collector.memory >= 64 && var.metrics_collector.scrape_interval_seconds >= 10 && var.metrics_collector.scrape_interval_seconds <= 60
    error_message = "The collector needs at least 32 CPU units and 64 MiB, and scrapes every 10 to 60 seconds."
  }
}

variable "scale_down_schedule" {
  description = "Optional nightly scale-to-zero of web and worker (non-production): cron expressions in UTC. null keeps the services up."
  type = object({
    down = string
    up   = string
  })
  default = null
}

variable "rollback_alarm_names" {
  description = "CloudWatch alarms that stop a blue/green deployment and roll it back."
  type        = list(string)
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic shifting, e.g. CodeDeployDefault.ECSAllAtOnce or CodeDeployDefault.ECSCanary10Percent5Minutes."
  type        = string
  default     = "CodeDeployDefault.ECSAllAtOnce"
}

variable "termination_wait_minutes" {
  description = "Minutes the old (blue) tasks stay up after traffic moves, for a quick manual rollback."
  type        = number
  default     = 10
}

variable "alb_deletion_protection" {
  description = "Refuse deletion of the load balancer (prod)."
  type        = bool
  default     = true
}

variable "ecr_keep_images" {
  description = "Tagged images kept in ECR; older ones expire."
  type        = number
  default     = 30
}

variable "extra_environment" {
  description = "More plain FOLIO_* settings for every container (never secrets)."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "origin_verify_accept_previous" {
  description = "During an origin-verify rotation only: the production listener also accepts the secret's AWSPREVIOUS value (runbooks/rotate-secrets.md)."
  type        = bool
  default     = false
}

variable "initial_live_target_group" {
  description = "Target group the production rule forwards to when Terraform creates it (blue, or green if CodeDeploy last left green live); CodeDeploy owns it after that."
  type        = string
  default     = "blue"
  validation {
    condition     = contains(["blue", "green"], var.initial_live_target_group)
    error_message = "initial_live_target_group is blue or green."
  }
}

variable "test_listener_source_cidrs" {
  description = "CIDRs allowed to reach the test listener (8443) for the deploy smoke test: the NAT gateways' public addresses as /32."
  type        = list(string)
  default     = []
}

variable "smoke_test_url" {
  description = "Base URL of the test listener as the smoke-test task sees it, e.g. https://origin.<domain>:8443 (the ALB certificate covers origin.<domain>)."
  type        = string
  validation {
    condition     = startswith(var.smoke_test_url, "https://")
    error_message = "smoke_test_url is an https:// URL (the test listener speaks TLS)."
  }
}

variable "smoke_test_image" {
  description = "Image of the smoke-test task (needs python3). Pinned by tag: re-verify and pin by digest for production."
  type        = string
  default     = "public.ecr.aws/docker/library/python:3.13-slim"
}

variable "ready_wait_minutes" {
  description = "How long a web deployment waits on the test listener for the pipeline's smoke test before it stops and rolls back."
  type        = number
  default     = 30
}
