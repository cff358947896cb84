output "site_url" {
  description = "The site."
  value       = module.edge.site_url
}

output "ecr_repository_url" {
  description = "Where images are pushed (GitHub environment variable ECR_REPOSITORY)."
  value       = module.app.ecr_repository_url
}

output "deploy_role_arn" {
  description = "GitHub environment variable AWS_DEPLOY_ROLE_ARN."
  value       = module.deployer.role_arn
}

output "cluster_name" {
  description = "GitHub environment variable ECS_CLUSTER."
  value       = module.app.cluster_name
}

output "service_names" {
  description = "ECS services."
  value       = module.app.service_names
}

output "task_definition_families" {
  description = "Task definition families (web, worker, migrate)."
  value       = module.app.task_definition_families
}

output "codedeploy" {
  description = "CodeDeploy application and deployment group."
  value       = { app = module.app.codedeploy_app_name, group = module.app.codedeploy_deployment_group_name }
}

output "migrate_network" {
  description = "Network settings for `aws ecs run-task` of the migrate task (GitHub environment variable MIGRATE_NETWORK)."
  value       = "awsvpcConfiguration={subnets=[${join(",", module.network.app_subnet_ids)}],securityGroups=[${module.network.app_security_group_id}],assignPublicIp=DISABLED}"
}

output "smoke_network" {
  description = "Network settings for `aws ecs run-task` of the deploy smoke test (GitHub environment variable SMOKE_NETWORK)."
  value       = "awsvpcConfiguration={subnets=[${join(",", module.network.app_subnet_ids)}],securityGroups=[${module.app.smoke_security_group_id}],assignPublicIp=DISABLED}"
}

output "secret_key_secret_arn" {
  description = "The signing key's secret, which deploy/ci/seed-secrets.sh fills on the first deploy (GitHub environment variable SECRET_KEY_SECRET)."
  value       = module.app.secret_key_secret_arn
}

output "smoke_task_definition" {
  description = "Family of the deploy smoke-test task (GitHub environment variable SMOKE_TASK_DEFINITION)."
  value       = module.app.smoke_task_definition_family
}

output "sleeps_at_night" {
  description = "Whether web and worker scale to zero at night (GitHub environment variable SLEEPS_AT_NIGHT: a deploy then wakes them)."
  value       = !var.production && var.scale_down_schedule != null
}

output "deployment_events_topic_arn" {
  description = "SNS topic with CodeDeploy's web deployment results (subscribe chat or e-mail: runbooks/deploy.md)."
  value       = module.app.deployment_events_topic_arn
}

output "log_group_names" {
  description = "Container log groups."
  value       = module.observability.log_group_names
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_name
}

output "distribution_id" {
  description = "CloudFront distribution (GitHub environment variable DISTRIBUTION_ID)."
  value       = module.edge.distribution_id
}

output "db_instance_id" {
  description = "RDS instance."
  value       = module.data.instance_id
}

output "backup_vaults" {
  description = "Backup vaults in the primary and DR regions."
  value       = { primary = module.backup.primary_vault_name, dr = module.backup.dr_vault_arn }
}

output "email" {
  description = "FOLIO_EMAIL_URL, the SES configuration set and the bounce/complaint topic and hook."
  value = {
    url               = module.email.email_url
    configuration_set = module.email.configuration_set_name
    feedback_topic    = module.email.feedback_topic_arn
    hook              = module.email.hook_url
    subscription      = module.email.hook_subscription_arn
  }
}

output "app_bucket" {
  description = "GitHub environment variable APP_BUCKET: where the pipeline publishes the browser app (deploy/ci/publish-app.sh)."
  value       = module.edge.app_bucket_id
}
