# SES for outgoing email: the domain identity with Easy DKIM, a custom MAIL FROM domain (SPF
# aligned) and DMARC, all published in Route 53; a configuration set; and the feedback loop for
# bounces and complaints.
#
# How Folio sends: through the SES v2 API (FOLIO_EMAIL_URL=ses://<region>?configuration_set=…),
# signed with the ECS task role's credentials (app module). No IAM user, no access key, no
# secret: the URL carries no credentials and is a plain environment variable.
#
# Feedback: the configuration set publishes BOUNCE and COMPLAINT events to an SNS topic (KMS
# encrypted, SHA256 signatures) that only SES may publish to; SNS delivers them over HTTPS to
# the app's POST /hooks/ses, which checks each message's signature and topic
# (FOLIO_SES_TOPIC_ARN) and puts hard-bounced and complaining addresses on Folio's own
# suppression list. The app also confirms the subscription itself (it fetches the SubscribeURL).

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_sesv2_email_identity" "this" {
  email_identity = var.domain_name
  # The default configuration set: mail from this identity goes through it even when a sender
  # names none (updated in place on an existing identity, which keeps its DKIM keys).
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  dkim_signing_attributes {
    next_signing_key_length = "RSA_2048_BIT"
  }
  tags = var.tags
}

resource "aws_route53_record" "dkim" {
  count   = 3
  zone_id = var.zone_id
  name    = "${aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens[count.index]}._domainkey.${var.domain_name}"
  type    = "CNAME"
  ttl     = 1800
  records = ["${aws_sesv2_email_identity.this.dkim_signing_attributes[0].tokens[count.index]}.dkim.amazonses.com"]
}

resource "aws_sesv2_email_identity_mail_from_attributes" "this" {
  email_identity         = aws_sesv2_email_identity.this.email_identity
  mail_from_domain       = "mail.${var.domain_name}"
  behavior_on_mx_failure = "USE_DEFAULT_VALUE"
}

resource "aws_route53_record" "mail_from_mx" {
  zone_id = var.zone_id
  name    = "mail.${var.domain_name}"
  type    = "MX"
  ttl     = 1800
  records = ["10 feedback-smtp.${data.aws_region.current.name}.amazonses.com"]
}

resource "aws_route53_record" "mail_from_spf" {
  zone_id = var.zone_id
  name    = "mail.${var.domain_name}"
  type    = "TXT"
  ttl     = 1800
  records = ["v=spf1 include:amazonses.com -all"]
}

resource "aws_route53_record" "dmarc" {
  zone_id = var.zone_id
  name    = "_dmarc.${var.domain_name}"
  type    = "TXT"
  ttl     = 1800
  records = [var.dmarc_policy]
}

# --- configuration set --------------------------------------------------------------------

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = var.name
  delivery_options {
    # Never fall back to plain SMTP towards the recipient's server.
    tls_policy = "REQUIRE"
  }
  reputation_options {
    reputation_metrics_enabled = true
  }
  sending_options {
    sending_enabled = true
  }
  # The account-level suppression list is the second line of defence behind Folio's own.
  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
  tags = var.tags
}

# Only the events the app acts on: anything else would be delivered, retried and ignored.
resource "aws_sesv2_configuration_set_event_destination" "feedback" {
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  event_destination_name = "bounces-and-complaints"
  event_destination {
    enabled              = true
    matching_event_types = ["BOUNCE", "COMPLAINT"]
    sns_destination {
      topic_arn = aws_sns_topic.feedback.arn
    }
  }
  # SES checks at creation that it may publish to the topic.
  depends_on = [aws_sns_topic_policy.feedback]
}

# --- bounce and complaint notifications ----------------------------------------------------

resource "aws_sns_topic" "feedback" {
  name              = "${var.name}-ses-feedback"
  kms_master_key_id = var.kms_key_arn
  # SHA256 signatures (the app verifies SignatureVersion 1 and 2).
  signature_version = 2
  tags              = var.tags
}

# Only SES publishes, and only for this account's configuration set. (Principals of this
# account still get what their own IAM policies grant; none of Folio's roles may publish.)
resource "aws_sns_topic_policy" "feedback" {
  arn = aws_sns_topic.feedback.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SesPublishesFeedback"
      Effect    = "Allow"
      Principal = { Service = "ses.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.feedback.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = aws_sesv2_configuration_set.this.arn }
      }
    }]
  })
}

# Terraform waits until the endpoint confirms the subscription, which only a running app with
# FOLIO_SES_TOPIC_ARN set does: the first apply of an environment, or the one that introduces
# the topic, runs with subscribe_hook = false (deploy/runbooks/first-deploy.md).
resource "aws_sns_topic_subscription" "hook" {
  count                           = var.subscribe_hook ? 1 : 0
  topic_arn                       = aws_sns_topic.feedback.arn
  protocol                        = "https"
  endpoint                        = local.hook_url
  endpoint_auto_confirms          = true
  confirmation_timeout_in_minutes = 5
  # The app parses SNS's JSON envelope (and checks its signature).
  raw_message_delivery = false
  # While the site is down or deploying, retry for about 40 minutes: 3 at once, 2 after a
  # second, 10 backing off to a minute, then 35 a minute apart.
  delivery_policy = jsonencode({
    healthyRetryPolicy = {
      numRetries         = 50
      numNoDelayRetries  = 3
      minDelayTarget     = 1
      numMinDelayRetries = 2
      maxDelayTarget     = 60
      numMaxDelayRetries = 35
      backoffFunction    = "exponential"
    }
    throttlePolicy = {
      maxReceivesPerSecond = 10
    }
  })
}

locals {
  hook_url  = "${trimsuffix(var.base_url, "/")}/hooks/ses"
  email_url = "ses://${data.aws_region.current.name}?configuration_set=${aws_sesv2_configuration_set.this.configuration_set_name}"
}
