variable "region" {
  description = "Region of the state bucket (the primary region)."
  type        = string
  default     = "eu-central-1"
}
