# Logs, the queue-depth metric, the dashboard and the alarms. Alarms go to one SNS topic; the
# ones in local.rollback_alarms are also handed to CodeDeploy, which stops and reverses a
# blue/green deployment while any of them fires.

locals {
  namespace = "Folio/${var.name}"
  region    = data.aws_region.current.name
}

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = toset(["web", "worker", "migrate"])
  name              = "/folio/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- queue depth from the worker's log ---------------------------------------------------------
# Once a minute the worker logs a JSON line:
#   {"level":"INFO","message":"queue depth","queued":12,"running":2,"failed":0,"target":"folio::queue",…}
# These filters turn its fields into metrics; no agent or metrics endpoint is needed.

locals {
  queue_metrics = {
    queued  = "QueuedJobs"
    running = "RunningJobs"
    failed  = "FailedJobs"
  }
}

resource "aws_cloudwatch_log_metric_filter" "queue" {
  for_each       = local.queue_metrics
  name           = "${var.name}-queue-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this["worker"].name
  pattern        = "{ $.message = \"queue depth\" }"
  metric_transformation {
    name      = each.value
    namespace = local.namespace
    value     = "$.${each.key}"
    unit      = "Count"
  }
}

# --- alarms --------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  alarm_name          = "${var.name}-app-5xx"
  alarm_description   = "The app answers 5xx: stops a blue/green deployment (rollback) and pages."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.target_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${var.name}-app-latency-p99"
  alarm_description   = "p99 response time too high: stops a deployment (rollback) and pages."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  threshold           = var.latency_p99_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each            = var.target_group_arn_suffixes
  alarm_name          = "${var.name}-unhealthy-${each.key}"
  alarm_description   = "Tasks in the ${each.key} target group fail /readyz: stops a deployment (rollback) and pages."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

locals {
  rollback_alarms = concat(
    [aws_cloudwatch_metric_alarm.target_5xx.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.unhealthy : a.alarm_name],
  )

  # Alarms that page but do not judge a deployment.
  capacity_alarms = {
    web-cpu = {
      description = "Web tasks' CPU stays high: autoscaling is at its maximum or too slow."
      namespace   = "AWS/ECS", metric = "CPUUtilization", statistic = "Average", threshold = 85
      dimensions  = { ClusterName = var.cluster_name, ServiceName = var.service_names.web }
      operator    = "GreaterThanThreshold"
    }
    db-cpu = {
      description = "Database CPU stays high."
      namespace   = "AWS/RDS", metric = "CPUUtilization", statistic = "Average", threshold = 80
      dimensions  = { DBInstanceIdentifier = var.db_instance_id }
      operator    = "GreaterThanThreshold"
    }
    db-storage = {
      description = "Database has under 5 GiB free (storage autoscaling should have grown it)."
      namespace   = "AWS/RDS", metric = "FreeStorageSpace", statistic = "Minimum", threshold = 5368709120
      dimensions  = { DBInstanceIdentifier = var.db_instance_id }
      operator    = "LessThanThreshold"
    }
    cache-cpu = {
      description = "Redis engine CPU stays high."
      namespace   = "AWS/ElastiCache", metric = "EngineCPUUtilization", statistic = "Average", threshold = 80
      dimensions  = { ReplicationGroupId = var.cache_replication_group_id }
      operator    = "GreaterThanThreshold"
    }
    cache-memory = {
      description = "Redis memory nearly full: sessions and cache entries are being evicted."
      namespace   = "AWS/ElastiCache", metric = "DatabaseMemoryUsagePercentage", statistic = "Average", threshold = 85
      dimensions  = { ReplicationGroupId = var.cache_replication_group_id }
      operator    = "GreaterThanThreshold"
    }
    queue-depth = {
      description = "Jobs pile up: the worker is down or too slow (see runbooks/scaling.md)."
      namespace   = local.namespace, metric = "QueuedJobs", statistic = "Minimum", threshold = var.queue_depth_threshold
      dimensions  = {}
      operator    = "GreaterThanThreshold"
    }
    failed-jobs = {
      description = "Jobs failed for good (listed in the admin panel)."
      namespace   = local.namespace, metric = "FailedJobs", statistic = "Maximum", threshold = 0
      dimensions  = {}
      operator    = "GreaterThanThreshold"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "capacity" {
  for_each            = local.capacity_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 3
  threshold           = each.value.threshold
  comparison_operator = each.value.operator
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# --- dashboard -------------------------------------------------------------------------------------

locals {
  lb = var.alb_arn_suffix
  widgets = [
    { title = "Requests and errors (ALB)", metrics = [
      ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.lb, { stat = "Sum" }],
      [".", "HTTPCode_Target_5XX_Count", ".", ".", { stat = "Sum" }],
      [".", "HTTPCode_Target_4XX_Count", ".", ".", { stat = "Sum" }],
      [".", "HTTPCode_ELB_5XX_Count", ".", ".", { stat = "Sum" }],
    ] },
    { title = "Response time (ALB)", metrics = [
      ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", local.lb, { stat = "p50" }],
      ["...", { stat = "p99" }],
    ] },
    { title = "ECS CPU and memory", metrics = [
      ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.service_names.web],
      [".", "MemoryUtilization", ".", ".", ".", "."],
      [".", "CPUUtilization", ".", ".", ".", var.service_names.worker],
      [".", "MemoryUtilization", ".", ".", ".", "."],
    ] },
    { title = "Running tasks", metrics = [
      ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_names.web],
      ["...", var.service_names.worker],
    ] },
    { title = "Job queue depth", metrics = [
      [local.namespace, "QueuedJobs", { stat = "Maximum" }],
      [".", "RunningJobs", { stat = "Maximum" }],
      [".", "FailedJobs", { stat = "Maximum" }],
    ] },
    { title = "RDS", metrics = [
      ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.db_instance_id],
      [".", "DatabaseConnections", ".", "."],
      [".", "FreeStorageSpace", ".", ".", { yAxis = "right" }],
    ] },
    { title = "Redis", metrics = [
      ["AWS/ElastiCache", "EngineCPUUtilization", "ReplicationGroupId", var.cache_replication_group_id],
      [".", "DatabaseMemoryUsagePercentage", ".", "."],
      [".", "CurrConnections", ".", ".", { yAxis = "right" }],
    ] },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = 60
          metrics = w.metrics
        }
      }],
      [{
        type   = "log"
        x      = 0
        y      = ceil(length(local.widgets) / 2) * 6
        width  = 24
        height = 6
        properties = {
          title  = "Errors (web and worker)"
          region = local.region
          view   = "table"
          query  = "SOURCE '${aws_cloudwatch_log_group.this["web"].name}' | SOURCE '${aws_cloudwatch_log_group.this["worker"].name}' | fields @timestamp, level, message, target | filter level = \"ERROR\" | sort @timestamp desc | limit 50"
        }
      }],
    )
  })
}
