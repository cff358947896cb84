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
  base_url    = "https://folio.example.org"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
}

run "dkim" {
  assert {
    condition     = [for r in aws_route53_record.dkim : r.name] == ["tok1._domainkey.folio.example.org", "tok2._domainkey.folio.example.org", "tok3._domainkey.folio.example.org"]
    error_message = "The three DKIM CNAMEs are published."
  }
}

# The SES v2 API with the task role: no IAM user, no access key, no secret (the module has no
# such resource any more; the URL carries no credentials).
run "ses_api_without_keys" {
  assert {
    condition     = output.email_url == "ses://eu-central-1?configuration_set=folio-test"
    error_message = "FOLIO_EMAIL_URL is ses://<region>?configuration_set=<name>."
  }
  assert {
    condition     = startswith(output.email_url, "ses://") && !strcontains(output.email_url, "@")
    error_message = "FOLIO_EMAIL_URL is the SES API, with no credentials in it."
  }
  assert {
    condition     = aws_sesv2_email_identity.this.configuration_set_name == aws_sesv2_configuration_set.this.configuration_set_name
    error_message = "The configuration set is the identity's default."
  }
}

run "configuration_set" {
  assert {
    condition     = aws_sesv2_configuration_set.this.delivery_options[0].tls_policy == "REQUIRE"
    error_message = "Mail leaves SES over TLS only."
  }
  assert {
    condition     = aws_sesv2_configuration_set.this.reputation_options[0].reputation_metrics_enabled && aws_sesv2_configuration_set.this.sending_options[0].sending_enabled
    error_message = "Reputation metrics on, sending enabled."
  }
  assert {
    condition     = toset(aws_sesv2_configuration_set.this.suppression_options[0].suppressed_reasons) == toset(["BOUNCE", "COMPLAINT"])
    error_message = "The account-level suppression list takes bounces and complaints."
  }
  assert {
    condition = (
      aws_sesv2_configuration_set_event_destination.feedback.configuration_set_name == aws_sesv2_configuration_set.this.configuration_set_name
      && aws_sesv2_configuration_set_event_destination.feedback.event_destination[0].enabled
      && toset(aws_sesv2_configuration_set_event_destination.feedback.event_destination[0].matching_event_types) == toset(["BOUNCE", "COMPLAINT"])
      && aws_sesv2_configuration_set_event_destination.feedback.event_destination[0].sns_destination[0].topic_arn == aws_sns_topic.feedback.arn
    )
    error_message = "Bounces and complaints are published to the feedback topic."
  }
}

run "feedback_topic" {
  assert {
    condition     = aws_sns_topic.feedback.kms_master_key_id == var.kms_key_arn && aws_sns_topic.feedback.signature_version == 2
    error_message = "The topic is encrypted with the project's key and signs with SHA256 (SignatureVersion 2)."
  }
  assert {
    condition     = output.feedback_topic_arn == aws_sns_topic.feedback.arn
    error_message = "The topic ARN is an output (FOLIO_SES_TOPIC_ARN)."
  }
  assert {
    condition = [for s in jsondecode(aws_sns_topic_policy.feedback.policy).Statement : s.Principal] == [{ Service = "ses.amazonaws.com" }] && alltrue([
      for s in jsondecode(aws_sns_topic_policy.feedback.policy).Statement :
      s.Effect == "Allow" && s.Action == "sns:Publish" && s.Resource == aws_sns_topic.feedback.arn
      && s.Condition.StringEquals["aws:SourceAccount"] == "123456789012"
      && s.Condition.ArnLike["aws:SourceArn"] == aws_sesv2_configuration_set.this.arn
    ])
    error_message = "Only SES publishes to the topic, for this account's configuration set."
  }
}

run "https_hook" {
  assert {
    condition     = aws_sns_topic_subscription.hook[0].protocol == "https" && aws_sns_topic_subscription.hook[0].endpoint == "https://folio.example.org/hooks/ses" && endswith(aws_sns_topic_subscription.hook[0].endpoint, "/hooks/ses")
    error_message = "SNS delivers to https://<domain>/hooks/ses."
  }
  assert {
    condition     = aws_sns_topic_subscription.hook[0].endpoint_auto_confirms && !aws_sns_topic_subscription.hook[0].raw_message_delivery && aws_sns_topic_subscription.hook[0].topic_arn == aws_sns_topic.feedback.arn
    error_message = "The app confirms the subscription itself and gets SNS's signed envelope (no raw delivery)."
  }
  assert {
    condition     = jsondecode(aws_sns_topic_subscription.hook[0].delivery_policy).healthyRetryPolicy.numRetries >= 10
    error_message = "Deliveries are retried while the site is down or deploying."
  }
}

run "hook_without_trailing_slash_duplication" {
  variables {
    base_url = "https://folio.example.org/"
  }
  assert {
    condition     = output.hook_url == "https://folio.example.org/hooks/ses"
    error_message = "A trailing slash on the base URL does not double."
  }
}

run "first_apply_without_subscription" {
  variables {
    subscribe_hook = false
  }
  assert {
    condition     = length(aws_sns_topic_subscription.hook) == 0 && output.hook_subscription_arn == null
    error_message = "subscribe_hook = false leaves the subscription for a later apply."
  }
  assert {
    condition     = aws_sesv2_configuration_set_event_destination.feedback.event_destination[0].sns_destination[0].topic_arn == aws_sns_topic.feedback.arn
    error_message = "The topic and the event destination exist without the subscription."
  }
}

run "https_only_hook" {
  command = plan
  variables {
    base_url = "http://folio.example.org"
  }
  expect_failures = [var.base_url]
}
