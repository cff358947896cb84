output "log_group_names" {
  description = "Log groups of the containers, keyed web, worker, migrate."
  value       = { for k, v in aws_cloudwatch_log_group.this : k => v.name }
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "rollback_alarm_names" {
  description = "Alarms that stop and roll back a blue/green deployment (give them to the app module)."
  value       = local.rollback_alarms
}

output "queue_metric_filter_patterns" {
  description = "Log filter pattern and value of each queue metric."
  value       = { for k, v in aws_cloudwatch_log_metric_filter.queue : v.metric_transformation[0].name => { pattern = v.pattern, value = v.metric_transformation[0].value } }
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_topic_us_east_1_arn" {
  description = "SNS topic of the CloudFront alarm (us-east-1, where CloudFront's metrics are); same subscribers as alarm_topic_arn."
  value       = aws_sns_topic.alarms_us_east_1.arn
}

output "outage_alarm_names" {
  description = "Alarms that fire when nothing answers: load balancer 5xx, no healthy targets, tasks below desired, worker heartbeat, CloudFront 5xx rate."
  value = concat(
    [aws_cloudwatch_metric_alarm.elb_5xx.alarm_name, aws_cloudwatch_metric_alarm.no_healthy_targets.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.tasks_below_desired : a.alarm_name],
    [aws_cloudwatch_metric_alarm.worker_heartbeat.alarm_name, aws_cloudwatch_metric_alarm.cloudfront_5xx.alarm_name],
  )
}
