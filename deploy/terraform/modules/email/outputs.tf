output "identity_arn" {
  description = "ARN of the SES domain identity."
  value       = aws_sesv2_email_identity.this.arn
}

output "configuration_set_name" {
  description = "Name of the SES configuration set."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "configuration_set_arn" {
  description = "ARN of the SES configuration set (SES v2 SendEmail authorises against it too)."
  value       = aws_sesv2_configuration_set.this.arn
}

output "email_url" {
  description = "FOLIO_EMAIL_URL: the SES v2 API in this region through the configuration set (no credentials: the task role signs)."
  value       = local.email_url
}

output "feedback_topic_arn" {
  description = "SNS topic of the bounce and complaint events: FOLIO_SES_TOPIC_ARN of the web tasks."
  value       = aws_sns_topic.feedback.arn
}

output "hook_url" {
  description = "HTTPS endpoint subscribed to the topic."
  value       = local.hook_url
}

output "hook_subscription_arn" {
  description = "ARN of the HTTPS subscription (null while subscribe_hook is false)."
  value       = one(aws_sns_topic_subscription.hook[*].arn)
}

output "mail_from_domain" {
  description = "Custom MAIL FROM domain."
  value       = aws_sesv2_email_identity_mail_from_attributes.this.mail_from_domain
}
