variable "name" {
  description = "Name prefix, e.g. folio-prod; the key's alias is alias/<name>."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
