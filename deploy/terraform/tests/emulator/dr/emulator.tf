# Additions for the DR drill's emulator run (override files can only change existing blocks).

locals {
  # One moto server answers for every service and region.
  emulator = "http://127.0.0.1:${var.emulator_port}"
}

variable "emulator_port" {
  description = "Port of the moto server on 127.0.0.1."
  type        = number
  default     = 5055
}
