mock_provider "aws" {
  source = "../../tests/mocks"
}

# us-east-1 hands out us-east-1 ARNs, so the tests can tell which provider made what.
mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../tests/mocks"
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:mock"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-0000000000e1"
    }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mock"
    }
  }
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
  distribution_id            = "EDFDVBD6EXAMPLE"
}

run "logs" {
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 30 && g.kms_key_id == var.kms_key_arn])
    error_message = "Every log group has a retention and is encrypted."
  }
}

# Issue 16: the queue alarms read the app's own gauges (collector sidecar, EMF), not a log line.
run "queue_alarms_read_the_app_metrics" {
  assert {
    condition = jsonencode({
      for k in ["queue-depth", "failed-jobs"] : k => [aws_cloudwatch_metric_alarm.capacity[k].namespace, aws_cloudwatch_metric_alarm.capacity[k].metric_name, aws_cloudwatch_metric_alarm.capacity[k].statistic, aws_cloudwatch_metric_alarm.capacity[k].dimensions]
      }) == jsonencode({
      queue-depth = ["Folio/folio-test", "folio_jobs", "Maximum", { ClusterName = "folio-test", state = "queued" }]
      failed-jobs = ["Folio/folio-test", "folio_jobs", "Maximum", { ClusterName = "folio-test", state = "failed" }]
    })
    error_message = "The queue-depth and failed-jobs alarms read folio_jobs{state} in Folio/<name>, Maximum across tasks (every process samples the jobs table)."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.capacity["queue-depth"].threshold == 500 && aws_cloudwatch_metric_alarm.capacity["queue-depth"].evaluation_periods * aws_cloudwatch_metric_alarm.capacity["queue-depth"].period == 900
    error_message = "Queue depth pages when over the threshold for 15 minutes."
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.capacity["oldest-queued-job"].namespace == "Folio/folio-test"
      && aws_cloudwatch_metric_alarm.capacity["oldest-queued-job"].metric_name == "folio_jobs_oldest_queued_age_seconds"
      && aws_cloudwatch_metric_alarm.capacity["oldest-queued-job"].statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.capacity["oldest-queued-job"].dimensions == tomap({ ClusterName = "folio-test" })
    && aws_cloudwatch_metric_alarm.capacity["oldest-queued-job"].threshold == 900)
    error_message = "An alarm on the oldest queued job's age (Maximum across tasks)."
  }
  assert {
    condition     = alltrue([for k in ["queue-depth", "oldest-queued-job", "failed-jobs"] : contains(aws_cloudwatch_metric_alarm.capacity[k].alarm_actions, aws_sns_topic.alarms.arn)])
    error_message = "The queue alarms page."
  }
  assert {
    condition     = output.metrics_namespace == "Folio/folio-test" && output.metrics_log_group_name == "/folio/folio-test/metrics" && aws_cloudwatch_log_group.metrics.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.metrics.retention_in_days == 14
    error_message = "The collector's EMF log group is this environment's, encrypted, with a short retention (the metrics outlive it)."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "folio_jobs") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "folio_jobs_oldest_queued_age_seconds") && !strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "QueuedJobs") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/RDS") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "AWS/ElastiCache") && strcontains(aws_cloudwatch_dashboard.this.dashboard_body, "HTTPCode_Target_5XX_Count")
    error_message = "The dashboard shows ALB, ECS, RDS, Redis, errors and the queue from the app's metrics."
  }
}

run "queue_alarms_output" {
  command = plan
  assert {
    condition     = length(output.queue_alarms) == 3 && alltrue([for a in values(output.queue_alarms) : a.namespace == "Folio/folio-test"])
    error_message = "Three queue alarms, all on the app's metrics."
  }
}

run "oldest_age_threshold_is_validated" {
  command = plan
  variables {
    oldest_queued_age_threshold_seconds = 5
  }
  expect_failures = [var.oldest_queued_age_threshold_seconds]
}

run "alarms_notify_and_roll_back" {
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.capacity), values(aws_cloudwatch_metric_alarm.unhealthy), values(aws_cloudwatch_metric_alarm.tasks_below_desired), [aws_cloudwatch_metric_alarm.target_5xx, aws_cloudwatch_metric_alarm.latency, aws_cloudwatch_metric_alarm.elb_5xx, aws_cloudwatch_metric_alarm.no_healthy_targets, aws_cloudwatch_metric_alarm.worker_heartbeat]) :
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

# Issue 13: a total outage raised no alarm (every alarm was notBreaching on missing data).
run "total_outage_alarms" {
  assert {
    condition     = aws_cloudwatch_metric_alarm.elb_5xx.metric_name == "HTTPCode_ELB_5XX_Count" && aws_cloudwatch_metric_alarm.elb_5xx.dimensions == tomap({ LoadBalancer = var.alb_arn_suffix })
    error_message = "5xx answered by the load balancer itself (no healthy target) raise an alarm."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.no_healthy_targets.treat_missing_data == "breaching"
      && aws_cloudwatch_metric_alarm.no_healthy_targets.comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.no_healthy_targets.threshold == 1
      && toset([for q in aws_cloudwatch_metric_alarm.no_healthy_targets.metric_query : q.metric[0].dimensions.TargetGroup if q.id != "healthy" && q.id != "desired"]) == toset(values(var.target_group_arn_suffixes))
      && alltrue([for q in aws_cloudwatch_metric_alarm.no_healthy_targets.metric_query : q.metric[0].metric_name == "HealthyHostCount" if startswith(q.id, "healthy_")])
      && one([for q in aws_cloudwatch_metric_alarm.no_healthy_targets.metric_query : q.expression if q.id == "healthy"]) == "IF(FILL(desired, 0) > 0, FILL(healthy_blue, 0) + FILL(healthy_green, 0), 1)"
    )
    error_message = "Fewer than 1 healthy target over blue and green together (while web tasks are wanted) alarms, and so does no data at all."
  }
  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.tasks_below_desired :
      toset([for q in a.metric_query : q.metric[0].metric_name if q.id != "missing"]) == toset(["DesiredTaskCount", "RunningTaskCount"])
      && alltrue([for q in a.metric_query : q.metric[0].namespace == "ECS/ContainerInsights" && q.metric[0].dimensions == tomap({ ClusterName = var.cluster_name, ServiceName = var.service_names[k] }) if q.id != "missing"])
      && one([for q in a.metric_query : q.expression if q.id == "missing"]) == "desired - FILL(running, 0)"
      && a.comparison_operator == "GreaterThanThreshold" && a.threshold == 0
    ]) && keys(aws_cloudwatch_metric_alarm.tasks_below_desired) == ["web", "worker"]
    error_message = "Running below desired tasks (Container Insights) alarms for web and for worker."
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.worker_heartbeat.pattern == "{ $.message = \"worker alive\" }" && aws_cloudwatch_log_metric_filter.worker_heartbeat.log_group_name == "/folio/folio-test/worker" && aws_cloudwatch_log_metric_filter.worker_heartbeat.metric_transformation[0].value == "1"
    error_message = "The worker's \"worker alive\" line becomes the WorkerHeartbeat metric."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.worker_heartbeat.treat_missing_data == "breaching"
      && one([for q in aws_cloudwatch_metric_alarm.worker_heartbeat.metric_query : q.metric[0].metric_name if q.id == "heartbeats"]) == "WorkerHeartbeat"
      && one([for q in aws_cloudwatch_metric_alarm.worker_heartbeat.metric_query : q.metric[0].period if q.id == "heartbeats"]) == 300
      && one([for q in aws_cloudwatch_metric_alarm.worker_heartbeat.metric_query : q.metric[0].namespace if q.id == "heartbeats"]) == aws_cloudwatch_log_metric_filter.worker_heartbeat.metric_transformation[0].namespace
      && aws_cloudwatch_metric_alarm.worker_heartbeat.comparison_operator == "LessThanThreshold"
    )
    error_message = "5 minutes without a heartbeat (or with no data at) all alarms."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.cloudfront_5xx.namespace == "AWS/CloudFront"
      && aws_cloudwatch_metric_alarm.cloudfront_5xx.metric_name == "5xxErrorRate"
      && aws_cloudwatch_metric_alarm.cloudfront_5xx.dimensions == tomap({ DistributionId = var.distribution_id, Region = "Global" })
      && aws_cloudwatch_metric_alarm.cloudfront_5xx.alarm_actions == toset([aws_sns_topic.alarms_us_east_1.arn])
      && aws_sns_topic.alarms_us_east_1.kms_master_key_id == aws_kms_key.us_east_1.arn
    )
    error_message = "CloudFront's 5xx rate (Region=Global) alarms to the encrypted us-east-1 topic."
  }
  assert {
    condition     = length(output.outage_alarm_names) == 6
    error_message = "Six outage alarms."
  }
}

# CloudFront's metrics exist only in us-east-1 (an alarm watches and notifies in its own region):
# the alarm, its topic and the topic's key come from the us-east-1 provider; the rest does not.
run "cloudfront_alarm_in_us_east_1" {
  variables {
    alarm_emails = ["ops@example.org"]
  }
  assert {
    condition     = startswith(aws_cloudwatch_metric_alarm.cloudfront_5xx.arn, "arn:aws:cloudwatch:us-east-1:") && startswith(aws_sns_topic.alarms_us_east_1.arn, "arn:aws:sns:us-east-1:") && startswith(aws_kms_key.us_east_1.arn, "arn:aws:kms:us-east-1:")
    error_message = "The CloudFront alarm, its topic and key are in us-east-1."
  }
  assert {
    condition     = !startswith(aws_sns_topic.alarms.arn, "arn:aws:sns:us-east-1:") && !strcontains(aws_cloudwatch_metric_alarm.no_healthy_targets.arn, "us-east-1")
    error_message = "Everything else stays in the environment's region."
  }
  assert {
    condition     = toset([for s in aws_sns_topic_subscription.email_us_east_1 : s.endpoint]) == toset(var.alarm_emails) && keys(aws_sns_topic_subscription.email_us_east_1) == keys(aws_sns_topic_subscription.email) && alltrue([for s in aws_sns_topic_subscription.email_us_east_1 : s.topic_arn == aws_sns_topic.alarms_us_east_1.arn])
    error_message = "The us-east-1 topic has the same subscribers as the main alarm topic."
  }
  assert {
    condition     = contains([for st in jsondecode(aws_kms_key.us_east_1.policy).Statement : st.Principal if st.Sid == "CloudWatchAlarmsToSns"], { Service = "cloudwatch.amazonaws.com" })
    error_message = "CloudWatch may use the us-east-1 key to publish to the encrypted topic."
  }
}
