variable "bucket_name" {
  description = "Globally unique name of the Terraform state bucket."
  type        = string
}

variable "replica_bucket_name" {
  description = "Globally unique name of the state's replica bucket in the DR region (provider aws.dr)."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
