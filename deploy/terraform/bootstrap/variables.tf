variable "region" {
  description = "Region of the state bucket (the primary region)."
  type        = string
  default     = "eu-central-1"
}

variable "dr_region" {
  description = "Disaster-recovery region: the state bucket's replica and the ECR image replicas (the environments' dr_region)."
  type        = string
  default     = "eu-west-1"
  validation {
    condition     = var.dr_region != var.region
    error_message = "The DR region must differ from the primary region."
  }
}
