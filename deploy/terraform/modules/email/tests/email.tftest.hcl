mock_provider "aws" {
  source = "../../tests/mocks"
}

override_resource {
  target = aws_sesv2_email_identity.this
  values = {
    arn = "arn:aws:ses:eu-central-1:123456789012:identity/folio.example.org"
    dkim_signing_attributes = {
      tokens                  = ["tok1", "tok2", "tok3"]
      next_signing_key_length = "RSA_2048_BIT"
    }
  }
}

variables {
  name        = "folio-test"
  domain_name = "folio.example.org"
  zone_id     = "Z0123456789"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
}

run "dkim_and_smtp" {
  assert {
    condition     = [for r in aws_route53_record.dkim : r.name] == ["tok1._domainkey.folio.example.org", "tok2._domainkey.folio.example.org", "tok3._domainkey.folio.example.org"]
    error_message = "The three DKIM CNAMEs are published."
  }
  assert {
    condition     = startswith(aws_secretsmanager_secret_version.url.secret_string, "smtps://mock-access-key-id:") && endswith(aws_secretsmanager_secret_version.url.secret_string, "@email-smtp.eu-central-1.amazonaws.com:465")
    error_message = "FOLIO_EMAIL_URL is SES over SMTPS."
  }
  assert {
    condition     = strcontains(aws_secretsmanager_secret_version.url.secret_string, urlencode("mock-smtp-password+/="))
    error_message = "The SMTP password is URL-encoded in the URL."
  }
  assert {
    condition     = jsondecode(aws_iam_user_policy.smtp.policy).Statement[0].Action == "ses:SendRawEmail"
    error_message = "The SMTP user may only send."
  }
}
