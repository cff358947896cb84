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

output "metrics_namespace" {
  description = "CloudWatch namespace of the app's metrics (Folio/<name>; give it to the app module's collector sidecar)."
  value       = local.namespace
}

output "metrics_log_group_name" {
  description = "Log group of the collector's embedded-metric-format records (give it to the app module)."
  value       = aws_cloudwatch_log_group.metrics.name
}

output "queue_alarms" {
  description = "The queue alarms and what they read: namespace, metric, dimensions, statistic, threshold."
  value = { for k in ["queue-depth", "oldest-queued-job", "failed-jobs"] : aws_cloudwatch_metric_alarm.capacity[k].alarm_name => {
    namespace  = aws_cloudwatch_metric_alarm.capacity[k].namespace
    metric     = aws_cloudwatch_metric_alarm.capacity[k].metric_name
    dimensions = aws_cloudwatch_metric_alarm.capacity[k].dimensions
    statistic  = aws_cloudwatch_metric_alarm.capacity[k].statistic
    threshold  = aws_cloudwatch_metric_alarm.capacity[k].threshold
  } }
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
