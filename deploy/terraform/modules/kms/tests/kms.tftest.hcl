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
  assert {
    condition = one([for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Principal == { Service = "ses.amazonaws.com" }]) == {
      Sid       = "SesEventsToSns"
      Effect    = "Allow"
      Principal = { Service = "ses.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
    }
    error_message = "SES may publish to the encrypted bounce/complaint topic (GenerateDataKey*, Decrypt), for this account only."
  }
  assert {
    condition = one([for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Principal == { Service = "backup.amazonaws.com" }]) == {
      Sid       = "BackupEventsToSns"
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
    }
    error_message = "AWS Backup may publish to the encrypted backup-events topic (GenerateDataKey*, Decrypt), for this account only."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition["StringEquals"]["aws:SourceAccount"] == "123456789012" if !startswith(try(s.Principal.Service, "logs."), "logs.")])
    error_message = "Every service principal but CloudWatch Logs (bound by its encryption context) is limited to this account."
  }
}
