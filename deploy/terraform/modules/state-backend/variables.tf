variable "bucket_name" {
  description = "Globally unique name of the Terraform state bucket."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
