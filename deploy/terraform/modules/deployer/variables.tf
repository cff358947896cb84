variable "name" {
  description = "Name prefix, e.g. folio-prod."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The account's GitHub OIDC provider (created once by deploy/terraform/bootstrap)."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may deploy."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment the deploy job runs in (dev, prod); only that job may assume the role."
  type        = string
}

variable "ecr_repository_arn" {
  description = "Repository the pipeline pushes to."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the pipeline deploys to."
  type        = string
}

variable "task_definition_families" {
  description = "Task definition families the pipeline registers revisions of."
  type        = list(string)
}

variable "pass_role_arns" {
  description = "Roles the new task definitions name (execution and task roles)."
  type        = list(string)
}

variable "codedeploy_app_name" {
  description = "CodeDeploy application."
  type        = string
}

variable "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group."
  type        = string
}

variable "migrate_log_group_name" {
  description = "Log group of the migrate task, which the pipeline prints on failure."
  type        = string
}

variable "signing_key_secret_arn" {
  description = "The app's signing-key secret, which seed-secrets.sh fills on the first deploy."
  type        = string
}

variable "kms_key_arn" {
  description = "The key that encrypts that secret."
  type        = string
}

variable "app_bucket_arn" {
  description = "The browser app's bucket (edge module), which the pipeline publishes to."
  type        = string
}

variable "distribution_arn" {
  description = "The CloudFront distribution whose cached index.html the pipeline invalidates."
  type        = string
}

variable "wake_scalable_target_arns" {
  description = "Scalable targets (web, worker) the pipeline may wake from the night's zero and put back to sleep; empty where the environment never sleeps (production)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
