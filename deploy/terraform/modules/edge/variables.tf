variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "domain_name" {
  description = "The site's host name, e.g. folio.example.org (FOLIO_BASE_URL is https://<this>)."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds domain_name."
  type        = string
}

variable "alb_dns_name" {
  description = "DNS name of the ALB (app module)."
  type        = string
}

variable "alb_zone_id" {
  description = "Hosted zone of the ALB (app module)."
  type        = string
}

variable "media_bucket_id" {
  description = "Media bucket (storage module), served under /media/."
  type        = string
}

variable "media_bucket_arn" {
  description = "ARN of the media bucket."
  type        = string
}

variable "media_bucket_regional_domain_name" {
  description = "Regional domain of the media bucket."
  type        = string
}

variable "origin_access_control_id" {
  description = "Origin Access Control (storage module)."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "Bucket for CloudFront access logs (storage module)."
  type        = string
}

variable "origin_verify_header" {
  description = "Secret header CloudFront adds to every request to the ALB origin (app module's origin_verify_header)."
  type = object({
    name  = string
    value = string
  })
  sensitive = true
}

variable "web_acl_arn" {
  description = "WAF web ACL (waf module) attached to the distribution."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "app_routes_function" {
  description = "Route /app/* through the CloudFront Function that answers the app's routes with its index.html. Off only where the CloudFront Functions API is missing (the moto emulator, tests/emulator): /app/ itself still works there."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying the non-empty failover bucket (throw-away environments only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
