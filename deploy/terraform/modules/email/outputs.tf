output "identity_arn" {
  description = "ARN of the SES domain identity."
  value       = aws_sesv2_email_identity.this.arn
}

output "url_secret_arn" {
  description = "Secrets Manager secret holding FOLIO_EMAIL_URL."
  value       = aws_secretsmanager_secret.url.arn
}

output "mail_from_domain" {
  description = "Custom MAIL FROM domain."
  value       = aws_sesv2_email_identity_mail_from_attributes.this.mail_from_domain
}
