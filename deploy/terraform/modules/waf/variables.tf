variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "signin_rate_limit" {
  description = "POSTs to /signin/ allowed per client IP in 5 minutes before WAF blocks it."
  type        = number
  default     = 100
}

variable "global_rate_limit" {
  description = "Requests allowed per client IP in 5 minutes (all paths)."
  type        = number
  default     = 3000
}

variable "log_retention_days" {
  description = "Days to keep WAF logs."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
