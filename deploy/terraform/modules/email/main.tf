# SES for outgoing email: the domain identity with Easy DKIM, a custom MAIL FROM domain (SPF
# aligned) and DMARC, all published in Route 53.
#
# How Folio sends today: over SMTP (FOLIO_EMAIL_URL=smtps://…@email-smtp.<region>…:465), the
# transport the binary has now. SES SMTP needs credentials derived from an IAM access key, so
# this module keeps one user whose only right is sending as this identity, and stores the
# finished URL in Secrets Manager. When the binary's ses:// transport (task role, no key)
# lands, set FOLIO_EMAIL_URL=ses://<region> and delete the user.

data "aws_region" "current" {}

resource "aws_sesv2_email_identity" "this" {
  email_identity = var.domain_name
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

resource "aws_iam_user" "smtp" {
  # checkov:skip=CKV_AWS_273:SES SMTP authentication only works with IAM user keys; this user can do nothing but send as one identity, and goes away with the ses:// transport.
  name = "${var.name}-ses-smtp"
  tags = var.tags
}

resource "aws_iam_user_policy" "smtp" {
  # checkov:skip=CKV_AWS_40:A group for one single-purpose SMTP user adds nothing.
  name = "send-as-${var.name}"
  user = aws_iam_user.smtp.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "ses:SendRawEmail"
      Resource = aws_sesv2_email_identity.this.arn
    }]
  })
}

resource "aws_iam_access_key" "smtp" {
  user = aws_iam_user.smtp.name
}

resource "aws_secretsmanager_secret" "url" {
  # checkov:skip=CKV2_AWS_57:Rotated by deploy/runbooks/rotate-secrets.md: the secret is a whole URL (or a key that signs sessions), which no managed rotation function rebuilds.
  name        = "${var.name}/email-url"
  description = "FOLIO_EMAIL_URL for ${var.name} (SES over SMTPS)"
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "url" {
  secret_id     = aws_secretsmanager_secret.url.id
  secret_string = "smtps://${aws_iam_access_key.smtp.id}:${urlencode(aws_iam_access_key.smtp.ses_smtp_password_v4)}@email-smtp.${data.aws_region.current.name}.amazonaws.com:465"
}
