output "role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.this.arn
}

output "trusted_subject" {
  description = "The only OIDC subject that may assume the role."
  value       = "repo:${var.github_repository}:environment:${var.github_environment}"
}

output "wakes_sleeping_services" {
  description = "Whether the pipeline may wake web and worker from the night's zero (non-production only)."
  value       = length(var.wake_scalable_target_arns) > 0
}
