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

variable "body_limits" {
  description = "Largest declared request body (Content-Length, bytes) let through per class: image forms (multipart POST under /admin/items/ and /admin/categories/; 17 MiB = a 16 MiB image + 1 MiB of form), the SES hook (1 MiB), everything else (4 MiB). Keep in step with the app's limits (crates/folio-web: uploads::MAX_UPLOAD_BODY_BYTES, sns::MAX_BODY_BYTES, app::MAX_BODY_BYTES)."
  type        = object({ upload = number, ses_hook = number, default = number })
  default = {
    upload   = 17825792
    ses_hook = 1048576
    default  = 4194304
  }
  validation {
    condition     = alltrue([for v in values(var.body_limits) : v > 16384 && v == floor(v) && v < 1e15])
    error_message = "Each limit is a whole number of bytes above WAF's 16 KB body inspection limit (smaller bodies need no Content-Length rule)."
  }
}
