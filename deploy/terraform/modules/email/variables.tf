variable "name" {
  description = "Name prefix, e.g. folio-prod (also the configuration set's name)."
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

variable "base_url" {
  description = "Public URL of the site; SNS delivers bounces and complaints to <base_url>/hooks/ses."
  type        = string
  validation {
    condition     = startswith(var.base_url, "https://")
    error_message = "SNS delivers the notifications over HTTPS only: base_url must be https://."
  }
}

variable "subscribe_hook" {
  description = "Subscribe <base_url>/hooks/ses to the topic. Terraform waits for the running app to confirm it: false on an environment's first apply (no app serving yet)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key of the bounce and complaint topic (its policy must let SES use it)."
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
