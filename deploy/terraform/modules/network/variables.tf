variable "name" {
  description = "Name prefix of every resource, e.g. folio-prod."
  type        = string
}

variable "cidr" {
  description = "IPv4 range of the VPC; split into /20 public, app and data subnets per zone."
  type        = string
  default     = "10.20.0.0/16"
}

variable "availability_zones" {
  description = "Zones to spread over (2 or 3). Tasks, database and cache get a private subnet in each."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
    error_message = "Use 2 or 3 availability zones."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per zone (prod: a zone failure keeps egress) or a single shared one (dev: cheaper)."
  type        = bool
  default     = true
}

variable "app_port" {
  description = "Port the container listens on (FOLIO_LISTEN)."
  type        = number
  default     = 8000
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
