output "role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.this.arn
}

output "trusted_subject" {
  description = "The only OIDC subject that may assume the role."
  value       = "repo:${var.github_repository}:environment:${var.github_environment}"
}
