output "state_bucket" {
  description = "Put this in envs/*/backend.hcl as bucket."
  value       = module.state.bucket
}

output "github_oidc_provider_arn" {
  description = "Put this in envs/*/terraform.tfvars as github_oidc_provider_arn."
  value       = aws_iam_openid_connect_provider.github.arn
}

output "state_replica_bucket" {
  description = "The state's replica in the DR region (disaster-recovery.md reads the primary's state from it)."
  value       = module.state.replica_bucket
}

output "ecr_replication_regions" {
  description = "Regions ECR copies the folio-* repositories' images to."
  value       = [for d in one(aws_ecr_replication_configuration.dr.replication_configuration).rule[0].destination : d.region]
}
