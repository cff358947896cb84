# Additions for the emulator run (override files can only change existing blocks).

locals {
  # One moto server answers for every service and region.
  emulator = "http://127.0.0.1:${var.emulator_port}"
}

variable "emulator_port" {
  description = "Port of the moto server on 127.0.0.1."
  type        = number
  default     = 5055
}

# The hosted zone exists before a real first apply (first-deploy.md); here Terraform makes it.
resource "aws_route53_zone" "emulator" {
  # checkov:skip=CKV2_AWS_38:Emulator-only zone, destroyed minutes later; the real zone is made by hand (first-deploy.md).
  # checkov:skip=CKV2_AWS_39:Emulator-only zone, destroyed minutes later; the real zone is made by hand (first-deploy.md).
  name          = "dev.folio.example.org"
  force_destroy = true
}

