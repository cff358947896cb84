output "state_bucket" {
  description = "Put this in envs/*/backend.hcl as bucket."
  value       = module.state.bucket
}

output "github_oidc_provider_arn" {
  description = "Put this in envs/*/terraform.tfvars as github_oidc_provider_arn."
  value       = aws_iam_openid_connect_provider.github.arn
}
