mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                       = "folio-test"
  kms_key_arn                = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  log_retention_days         = 30
  alb_arn_suffix             = "app/folio-test/0123456789abcdef"
  target_group_arn_suffixes  = { blue = "targetgroup/folio-test-blue/1", green = "targetgroup/folio-test-green/2" }
  cluster_name               = "folio-test"
  service_names              = { web = "web", worker = "worker" }
  db_instance_id             = "folio-test"
  cache_replication_group_id = "folio-test"
}

run "logs" {
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 30 && g.kms_key_id == var.kms_key_arn])
    error_message = "Every log group has a retention and is encrypted."
  }
}

run "queue_depth_metric" {
  assert {
    condition     = aws_cloudwatch_log_metric_filter.queue["queued"].pattern == "{ $.message = \"queue depth\" }" && aws_cloudwatch_log_metric_filter.queue["queued"].metric_transformation[0].value == "$.queued" && aws_cloudwatch_log_metric_filter.queue["queued"].metric_transformation[0].name == "QueuedJobs"
    error_message = "QueuedJobs comes from the worker's queue-depth log line."
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.queue["failed"].metric_transformation[0].value == "$.failed" && aws_cloudwatch_log_metric_filter.queue["queued"].log_group_name == "/folio/folio-test/worker"
    error_message = "FailedJobs too, from the worker's log group."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.capacity["queue-depth"].metric_name == "QueuedJobs" && aws_cloudwatch_metric_alarm.capacity["failed-jobs"].metric_name == "FailedJobs"
    error_message = "Queue depth and failed jobs raise alarms."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "QueuedJobs") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/RDS") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/ElastiCache") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "HTTPCode_Target_5XX_Count")
    error_message = "The dashboard shows ALB, ECS, RDS, Redis, errors and queue depth."
  }
}

run "alarms_notify_and_roll_back" {
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.capacity), values(aws_cloudwatch_metric_alarm.unhealthy), [aws_cloudwatch_metric_alarm.target_5xx, aws_cloudwatch_metric_alarm.latency]) :
    a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "Every alarm notifies the SNS topic."
  }
  assert {
    condition     = toset(output.rollback_alarm_names) == toset(["folio-test-app-5xx", "folio-test-app-latency-p99", "folio-test-unhealthy-blue", "folio-test-unhealthy-green"])
    error_message = "5xx, latency and unhealthy targets (both colours) stop a deployment."
  }
  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "The alarm topic is encrypted."
  }
}
