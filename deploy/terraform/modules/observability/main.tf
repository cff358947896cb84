# Logs, the app metrics' log group, the dashboard and the alarms. Alarms go to one SNS topic; the
# ones in local.rollback_alarms are also handed to CodeDeploy, which stops and reverses a
# blue/green deployment while any of them fires.

locals {
  namespace = "Folio/${var.name}"
  region    = data.aws_region.current.name
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

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

# --- the app's metrics ---------------------------------------------------------------------------
# web and worker publish Prometheus metrics (FOLIO_METRICS_LISTEN); the ADOT collector sidecar in
# each task (app module) writes them as embedded metric format records to this log group, and
# CloudWatch extracts the declared metrics into local.namespace. The queue figures used to come
# from the worker's "queue depth" log line through log metric filters (QueuedJobs, RunningJobs,
# FailedJobs); the alarms, the dashboard and the worker's autoscaling now read the app's own
# gauge folio_jobs{state} (Maximum across tasks: every process samples the jobs table), so those
# filters are gone. The heartbeat filter below stays: it proves the worker loop runs, which a
# gauge published by web tasks too cannot.

resource "aws_cloudwatch_log_group" "metrics" {
  # checkov:skip=CKV_AWS_338:Raw EMF records of every scrape; the metrics extracted from them stay 15 months in CloudWatch, so 14 days is enough (metrics_log_retention_days).
  name              = "/folio/${var.name}/metrics"
  retention_in_days = var.metrics_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  # The dimensions every queue figure is published with (app module: ClusterName is a static
  # label of the scrape target).
  jobs_dimensions = { ClusterName = var.cluster_name }
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

# --- a total outage --------------------------------------------------------------------------
# The alarms above see errors and slowness of tasks that answer; these see nothing answering at
# all. The ones whose metric disappears in an outage treat missing data as breaching. dev sleeps
# at night (desired count 0, scale_down_schedule in the app module): those alarms only count
# while ECS wants tasks (Container Insights' DesiredTaskCount > 0; Container Insights is enabled
# on the cluster in the app module, setting containerInsights).

# 5xx that the load balancer itself answers: no healthy target (503), targets that reset or time
# out (502, 504). HTTPCode_Target_5XX_Count above cannot see these.
resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  alarm_name          = "${var.name}-alb-5xx"
  alarm_description   = "The load balancer itself answers 5xx (no healthy task, or tasks that fail to answer): pages."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.elb_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching" # no requests, no errors
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# No healthy web task behind the load balancer. One alarm over both target groups, not one per
# group: after each blue/green deployment the idle colour has no targets at all, so a per-group
# "fewer than 1" would be in alarm half of the time. Missing data (no metric at all) breaches.
resource "aws_cloudwatch_metric_alarm" "no_healthy_targets" {
  alarm_name          = "${var.name}-no-healthy-targets"
  alarm_description   = "No web task passes /readyz in either target group while ECS wants web tasks: the site is down. Pages."
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  dynamic "metric_query" {
    for_each = var.target_group_arn_suffixes
    content {
      id = "healthy_${metric_query.key}"
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = "HealthyHostCount"
        dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = metric_query.value }
        stat        = "Minimum"
        period      = 60
      }
    }
  }
  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = var.service_names.web }
      stat        = "Maximum"
      period      = 60
    }
  }
  metric_query {
    id          = "healthy"
    label       = "Healthy web targets (all target groups; 1 while no web task is wanted)"
    expression  = "IF(FILL(desired, 0) > 0, ${join(" + ", [for k in keys(var.target_group_arn_suffixes) : "FILL(healthy_${k}, 0)"])}, 1)"
    return_data = true
  }
}

# Fewer tasks running than ECS wants, for 5 minutes, per service (Container Insights): tasks
# that crash on start, images that cannot be pulled, no Fargate capacity. Deployments run more
# tasks than desired, never fewer (minimum healthy 100 %), and new tasks start within minutes.
resource "aws_cloudwatch_metric_alarm" "tasks_below_desired" {
  for_each            = { web = var.service_names.web, worker = var.service_names.worker }
  alarm_name          = "${var.name}-${each.key}-tasks-below-desired"
  alarm_description   = "The ${each.key} service runs fewer tasks than desired for 5 minutes: tasks fail to start or keep crashing. Pages."
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  # No Container Insights data: the outage alarms (no healthy targets, worker heartbeat) breach.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
  tags               = var.tags

  dynamic "metric_query" {
    for_each = { desired = "DesiredTaskCount", running = "RunningTaskCount" }
    content {
      id = metric_query.key
      metric {
        namespace   = "ECS/ContainerInsights"
        metric_name = metric_query.value
        dimensions  = { ClusterName = var.cluster_name, ServiceName = each.value }
        stat        = "Average"
        period      = 60
      }
    }
  }
  metric_query {
    id          = "missing"
    label       = "Desired minus running ${each.key} tasks"
    expression  = "desired - FILL(running, 0)"
    return_data = true
  }
}

# The worker's heartbeat: once a minute it logs {"message":"worker alive",...} (JSON, flattened).
# A worker that is stuck, crash-looping or gone stops the metric; missing data breaches.
resource "aws_cloudwatch_log_metric_filter" "worker_heartbeat" {
  name           = "${var.name}-worker-heartbeat"
  log_group_name = aws_cloudwatch_log_group.this["worker"].name
  pattern        = "{ $.message = \"worker alive\" }"
  metric_transformation {
    name      = "WorkerHeartbeat"
    namespace = local.namespace
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_heartbeat" {
  alarm_name          = "${var.name}-worker-heartbeat"
  alarm_description   = "No \"worker alive\" log line for ${var.heartbeat_minutes} minutes while ECS wants a worker: jobs (emails, image resizes) are not running. Pages."
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  metric_query {
    id = "heartbeats"
    metric {
      namespace   = local.namespace
      metric_name = aws_cloudwatch_log_metric_filter.worker_heartbeat.metric_transformation[0].name
      stat        = "Sum"
      period      = var.heartbeat_minutes * 60
    }
  }
  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = var.service_names.worker }
      stat        = "Maximum"
      period      = var.heartbeat_minutes * 60
    }
  }
  metric_query {
    id          = "alive"
    label       = "Worker heartbeats (1 while no worker is wanted)"
    expression  = "IF(FILL(desired, 0) > 0, FILL(heartbeats, 0), 1)"
    return_data = true
  }
}

# CloudFront 5xx error rate (what viewers get, failover page included: it answers 503).
# CloudFront publishes its metrics in us-east-1 only (dimension Region = Global), and an alarm
# can only watch metrics and notify a topic of its own region: so this alarm, a topic for it and
# that topic's key live in us-east-1 (provider aws.us_east_1), with the same subscribers.
resource "aws_kms_key" "us_east_1" {
  provider                = aws.us_east_1
  description             = "${var.name}: CloudFront alarm topic (us-east-1)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsToSns"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })
  tags = var.tags
}

resource "aws_sns_topic" "alarms_us_east_1" {
  provider          = aws.us_east_1
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.us_east_1.arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email_us_east_1" {
  provider  = aws.us_east_1
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms_us_east_1.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "cloudfront_5xx" {
  provider            = aws.us_east_1
  alarm_name          = "${var.name}-cloudfront-5xx-rate"
  alarm_description   = "Over ${var.cloudfront_5xx_rate_percent} % of viewer requests get a 5xx from CloudFront (the failover page included): the site is down or failing. Pages."
  namespace           = "AWS/CloudFront"
  metric_name         = "5xxErrorRate"
  dimensions          = { DistributionId = var.distribution_id, Region = "Global" }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.cloudfront_5xx_rate_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching" # no viewers, no rate
  alarm_actions       = [aws_sns_topic.alarms_us_east_1.arn]
  ok_actions          = [aws_sns_topic.alarms_us_east_1.arn]
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
    # The queue gauges: every web and worker task samples the jobs table, so the Maximum across
    # tasks is the queue (a Sum would count it once per task). Sustained = all 3 periods.
    queue-depth = {
      description = "Over ${var.queue_depth_threshold} jobs queued for 15 minutes: the workers are down, at their maximum or too slow (runbooks/metrics.md, runbooks/scaling.md)."
      namespace   = local.namespace, metric = "folio_jobs", statistic = "Maximum", threshold = var.queue_depth_threshold
      dimensions  = merge(local.jobs_dimensions, { state = "queued" })
      operator    = "GreaterThanThreshold"
    }
    oldest-queued-job = {
      description = "The oldest queued job has waited over ${var.oldest_queued_age_threshold_seconds} s for 15 minutes: jobs are not being picked up (runbooks/metrics.md)."
      namespace   = local.namespace, metric = "folio_jobs_oldest_queued_age_seconds", statistic = "Maximum", threshold = var.oldest_queued_age_threshold_seconds
      dimensions  = local.jobs_dimensions
      operator    = "GreaterThanThreshold"
    }
    failed-jobs = {
      description = "Jobs failed for good (listed in the admin panel)."
      namespace   = local.namespace, metric = "folio_jobs", statistic = "Maximum", threshold = 0
      dimensions  = merge(local.jobs_dimensions, { state = "failed" })
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
  counter_labels = { emails = "outcome", page_cache = "result", session_loads = "source" }
  counter_search = { for name, label in local.counter_labels : name =>
    "SEARCH('{${local.namespace},ClusterName,${label}} ClusterName=\"${var.cluster_name}\" (MetricName=\"folio_${name}_total\" OR MetricName=\"folio_${name}\")', 'Sum', 60)"
  }
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
    { title = "Job queue (folio_jobs, max across tasks) and oldest queued job (s)", metrics = concat(
      [for state in ["queued", "running", "failed"] : [local.namespace, "folio_jobs", "ClusterName", var.cluster_name, "state", state, { stat = "Maximum" }]],
      [[local.namespace, "folio_jobs_oldest_queued_age_seconds", "ClusterName", var.cluster_name, { stat = "Maximum", yAxis = "right" }]],
    ) },
    { title = "Worker tasks (autoscaled on the queue)", metrics = [
      ["ECS/ContainerInsights", "DesiredTaskCount", "ClusterName", var.cluster_name, "ServiceName", var.service_names.worker],
      [".", "RunningTaskCount", ".", ".", ".", "."],
    ] },
    # Counters: whether the collector's Prometheus receiver keeps the _total suffix differs
    # between releases, so these widgets search for either name.
    { title = "Emails by outcome", metrics = [[{ id = "emails", expression = local.counter_search["emails"] }]] },
    { title = "Page cache (result) and session loads (source)", metrics = [
      [{ id = "cache", expression = local.counter_search["page_cache"] }],
      [{ id = "sessions", expression = local.counter_search["session_loads"] }],
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
