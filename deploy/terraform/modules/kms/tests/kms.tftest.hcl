mock_provider "aws" {
  source = "../../tests/mocks"
}

run "rotation" {
  variables {
    name = "folio-test"
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == "alias/folio-test"
    error_message = "The key rotates yearly and has an alias."
  }
  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[1].Principal.Service == "logs.eu-central-1.amazonaws.com"
    error_message = "CloudWatch Logs of this region may use the key."
  }
}
