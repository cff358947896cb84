variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "domain_name" {
  description = "Domain the email is sent from, e.g. folio.example.org."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone of domain_name, for the DKIM, MAIL FROM and DMARC records."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the SMTP URL secret."
  type        = string
}

variable "dmarc_policy" {
  description = "DMARC record value."
  type        = string
  default     = "v=DMARC1; p=quarantine; adkim=s; aspf=s"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
