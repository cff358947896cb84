output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "ecr_repository_url" {
  description = "Where the pipeline pushes images."
  value       = aws_ecr_repository.this.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the image repository."
  value       = aws_ecr_repository.this.arn
}

output "image" {
  description = "Image of the first task definitions (repository URL and tag)."
  value       = local.image
}

output "secret_replicas" {
  description = "Region => KMS key of the replicas of the secret-key and origin-verify secrets."
  value       = { for r in aws_secretsmanager_secret.origin_verify.replica : r.region => r.kms_key_id if contains([for k in aws_secretsmanager_secret.secret_key.replica : k.region], r.region) }
}

output "task_definition_families" {
  description = "Task definition families, keyed web, worker, migrate."
  value       = { for k, v in aws_ecs_task_definition.this : k => v.family }
}

output "task_definition_arns" {
  description = "First task definition revisions, keyed web, worker, migrate."
  value       = { for k, v in aws_ecs_task_definition.this : k => v.arn }
}

output "service_names" {
  description = "ECS service names, keyed web and worker."
  value       = { web = aws_ecs_service.web.name, worker = aws_ecs_service.worker.name }
}

output "execution_role_arn" {
  description = "Role that starts the containers."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Role of the running app."
  value       = aws_iam_role.task.arn
}

output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix (CloudWatch dimension)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (CloudFront's origin points at an alias of it)."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "target_group_arn_suffixes" {
  description = "Target group ARN suffixes (CloudWatch dimension), keyed blue and green."
  value       = { for k, v in aws_lb_target_group.this : k => v.arn_suffix }
}

output "target_group_health_check_paths" {
  description = "Health check path of each target group."
  value       = { for k, v in aws_lb_target_group.this : k => v.health_check[0].path }
}

output "https_listener_arn" {
  description = "Production listener."
  value       = aws_lb_listener.https.arn
}

output "codedeploy_app_name" {
  description = "CodeDeploy application."
  value       = aws_codedeploy_app.this.name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of the web service."
  value       = aws_codedeploy_deployment_group.web.deployment_group_name
}

output "secret_key_secret_arn" {
  description = "Secrets Manager secret holding FOLIO_SECRET_KEY."
  value       = aws_secretsmanager_secret.secret_key.arn
}

output "container_secrets" {
  description = "Per task (web, worker, migrate): environment variable => secret reference, as injected into the containers."
  value       = local.secrets
}

output "container_environment" {
  description = "Plain environment variables of each task definition, keyed web, worker, migrate."
  value       = local.task_environment
}

output "https_certificate_arn" {
  description = "Certificate of the HTTPS listener."
  value       = aws_lb_listener.https.certificate_arn
}

output "rollback_alarm_names" {
  description = "Alarms CodeDeploy watches during a deployment."
  value       = aws_codedeploy_deployment_group.web.alarm_configuration[0].alarms
}

output "scalable_target_arns" {
  description = "Application Auto Scaling targets of web and worker, which a deploy wakes from the night's zero (deployer module)."
  value       = [aws_appautoscaling_target.web.arn, aws_appautoscaling_target.worker.arn]
}

output "scheduled_action_count" {
  description = "Night-time scale-down/up actions (0 in production)."
  value       = length(aws_appautoscaling_scheduled_action.down) + length(aws_appautoscaling_scheduled_action.up)
}

output "origin_verify_header" {
  description = "Header name and current value CloudFront must send to the ALB (edge module)."
  value = {
    name  = local.origin_header
    value = data.aws_secretsmanager_secret_version.origin_verify.secret_string
  }
  sensitive = true
}

output "origin_verify_secret_arn" {
  description = "Secrets Manager secret holding the origin-verify header value."
  value       = aws_secretsmanager_secret.origin_verify.arn
}

output "test_listener_port" {
  description = "Port of the CodeDeploy test listener (replacement tasks before the shift)."
  value       = aws_lb_listener.test.port
}

output "test_listener_ingress_cidrs" {
  description = "Sources allowed to the test listener (8443)."
  value       = aws_vpc_security_group_ingress_rule.test_listener[*].cidr_ipv4
}

output "smoke_task_definition_family" {
  description = "Family of the deploy smoke-test task (run by deploy/ci/deploy.sh)."
  value       = aws_ecs_task_definition.smoke.family
}

output "smoke_security_group_id" {
  description = "Security group of the deploy smoke-test task."
  value       = aws_security_group.smoke.id
}

output "deployment_events_topic_arn" {
  description = "SNS topic with CodeDeploy's success, failure, stop and rollback events of web deployments."
  value       = aws_sns_topic.deployments.arn
}

output "worker_scaling" {
  description = "The worker service's autoscaling: min and max tasks, and per target-tracking policy its name, metric(s) and target."
  value = {
    min = aws_appautoscaling_target.worker.min_capacity
    max = aws_appautoscaling_target.worker.max_capacity
    policies = { for p in [aws_appautoscaling_policy.worker_queue, aws_appautoscaling_policy.worker_oldest_job] : p.name => {
      target             = p.target_tracking_scaling_policy_configuration[0].target_value
      scale_in_cooldown  = p.target_tracking_scaling_policy_configuration[0].scale_in_cooldown
      scale_out_cooldown = p.target_tracking_scaling_policy_configuration[0].scale_out_cooldown
      metrics            = sort(flatten([for m in p.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : [for s in m.metric_stat : s.metric[0].metric_name]]))
    } }
  }
}

output "metrics" {
  description = "The app's Prometheus listener and its collector sidecar: port (never in a security group, port mapping or listener), CloudWatch namespace, EMF log group, collector image and the containers of each task definition."
  value = {
    port           = var.metrics_port
    namespace      = var.metrics_namespace
    log_group_name = var.metrics_log_group_name
    collector      = var.metrics_collector.image
    containers     = { for k, td in aws_ecs_task_definition.this : k => [for c in jsondecode(td.container_definitions) : c.name] }
  }
}
