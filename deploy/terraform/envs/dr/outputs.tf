output "db_instance_id" {
  description = "The restored RDS instance."
  value       = module.data.instance_id
}

output "db_snapshot" {
  description = "The snapshot the database was restored from."
  value       = local.snapshot
}

output "image" {
  description = "Image of the first task definitions (the DR region's replica)."
  value       = module.app.image
}

output "cluster_name" {
  description = "ECS cluster in the DR region."
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

output "migrate_network" {
  description = "Network settings for `aws ecs run-task` of the migrate task."
  value       = "awsvpcConfiguration={subnets=[${join(",", module.network.app_subnet_ids)}],securityGroups=[${module.network.app_security_group_id}],assignPublicIp=DISABLED}"
}

output "alb" {
  description = "The DR load balancer: DNS name and hosted zone (what origin.<domain> points at when take_traffic)."
  value       = { dns_name = module.app.alb_dns_name, zone_id = module.app.alb_zone_id }
}

output "origin_record" {
  description = "origin.<domain>, when this region takes the traffic (null otherwise)."
  value       = one(aws_route53_record.origin[*].fqdn)
}

output "media_bucket" {
  description = "Restore target of the media objects; the distribution's media origin points at its regional domain name during DR."
  value       = { id = module.storage.media_bucket_id, regional_domain_name = module.storage.media_bucket_regional_domain_name }
}

output "secrets" {
  description = "Secrets the containers read (the primary's replicas and this region's new database and cache secrets)."
  value       = module.app.container_secrets
}

output "alarm_topic_arn" {
  description = "SNS topic of the DR environment's alarms."
  value       = module.observability.alarm_topic_arn
}
