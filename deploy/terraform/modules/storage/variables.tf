variable "name" {
  description = "Name prefix, e.g. folio-prod; bucket names append the account ID to be globally unique."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted media object stays recoverable."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days to keep access logs (ALB, CloudFront, S3)."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (only for throw-away environments)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
