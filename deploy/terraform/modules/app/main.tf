# Folio on ECS Fargate. One image, three task definitions that differ only in their command:
# `serve` (service web, behind the ALB, deployed blue/green by CodeDeploy), `worker` (service
# worker, rolling) and `migrate` (no service: the pipeline runs it once before traffic moves).
#
# Who owns what: Terraform creates the first task definitions; after that the pipeline
# registers new revisions with the new image tag, so the services ignore task_definition (and
# web ignores load_balancer, which CodeDeploy swaps between blue and green).

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region = data.aws_region.current.name
  # In the DR region (envs/dr) the image comes from the primary registry's replica there.
  image     = "${coalesce(var.image_repository_url, aws_ecr_repository.this.repository_url)}:${var.image_tag}"
  container = "folio"

  # ECS secrets per task. Only migrate gets a database password: the master user's, a key of
  # the secret RDS manages (ARN:json-key:version-stage:version-id). web and worker log in as the
  # app role with IAM tokens and have no database secret at all.
  # In the DR composition the primary's replica of the signing key, else this module's secret.
  secret_key_arn = coalesce(var.secret_key_secret_arn, aws_secretsmanager_secret.secret_key.arn)
  secrets = {
    web     = { FOLIO_SECRET_KEY = local.secret_key_arn }
    worker  = { FOLIO_SECRET_KEY = local.secret_key_arn }
    migrate = { FOLIO_SECRET_KEY = local.secret_key_arn, FOLIO_DATABASE_PASSWORD = "${var.database.master_user_secret_arn}:password::" }
  }
  # The secrets themselves (a JSON-key reference names its secret's ARN first).
  secret_arns = sort(distinct(flatten([for task in values(local.secrets) : [for ref in values(task) : regex("^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)", ref)[0]]])))

  # How web and worker reach the database and the cache: users authenticated by IAM, so these
  # URLs hold no secret. migrate logs in as the master user and creates the app role.
  runtime_connections = {
    FOLIO_DATABASE_URL  = var.database.app_url
    FOLIO_DATABASE_AUTH = "iam"
    FOLIO_CACHE_URL     = var.cache.url
  }
  migrate_connections = {
    FOLIO_DATABASE_URL      = var.database.migrate_url
    FOLIO_DATABASE_APP_ROLE = var.database.app_username
  }

  environment = merge({
    FOLIO_LISTEN     = "0.0.0.0:${var.app_port}"
    FOLIO_BASE_URL   = var.base_url
    FOLIO_EMAIL_FROM = var.email_from
    # The SES v2 API with the task role's credentials: nothing secret in the URL.
    FOLIO_EMAIL_URL   = var.email_url
    FOLIO_STORAGE_URL = "s3://${var.media_bucket_id}/media?region=${local.region}"
    # CloudFront serves /media/* from the bucket on the site's own domain.
    FOLIO_MEDIA_BASE_URL = "${trimsuffix(var.base_url, "/")}/media"
    FOLIO_LOG            = "info"
    FOLIO_LOG_FORMAT     = "json"
    # web tasks serve only; the worker service runs the jobs.
    FOLIO_WORKER = "off"
    # CloudFront, then the ALB: the client is the second address from the right.
    FOLIO_TRUSTED_PROXY_HOPS = "2"
  }, var.extra_environment)

  # What only the long-running processes need: the site's name and description (pages and
  # emails), and the Prometheus listener the collector sidecar scrapes. 0.0.0.0 because in
  # awsvpc mode the sidecar shares the task's network namespace (it scrapes localhost) and
  # nothing else can reach the port: the tasks' security group admits only app_port from the
  # ALB, and no port mapping, target group or listener names the metrics port.
  runtime_settings = {
    FOLIO_SITE_NAME        = var.site_name
    FOLIO_SITE_DESCRIPTION = var.site_description
    FOLIO_METRICS_LISTEN   = "0.0.0.0:${var.metrics_port}"
  }

  # Only web serves POST /hooks/ses; unset, the endpoint answers 404.
  task_environment = {
    web     = merge(local.environment, local.runtime_connections, local.runtime_settings, length(var.ses_topic_arns) > 0 ? { FOLIO_SES_TOPIC_ARN = join(",", var.ses_topic_arns) } : {})
    worker  = merge(local.environment, local.runtime_connections, local.runtime_settings)
    migrate = merge(local.environment, local.migrate_connections)
  }

  # The bare address of FOLIO_EMAIL_FROM ("Name <addr>" or "addr"), for ses:FromAddress.
  from_address = trimspace(try(regex("<([^>]+)>", var.email_from)[0], var.email_from))

  commands = {
    web     = ["serve"]
    worker  = ["worker"]
    migrate = ["migrate"]
  }
  sizes = {
    web     = { cpu = var.web.cpu, memory = var.web.memory }
    worker  = { cpu = var.worker.cpu, memory = var.worker.memory }
    migrate = { cpu = var.worker.cpu, memory = var.worker.memory }
  }
}

# --- image registry -------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged layers of failed pushes go after a day"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 1 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.ecr_keep_images} images (enough to roll back weeks)"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

# --- the cookie-signing key ---------------------------------------------------------------------

# Terraform creates the secret but never its value, so the key is not in Terraform state: the
# pipeline puts a random value in before the first deploy (deploy/ci/seed-secrets.sh, which
# does nothing once a value exists). Rotation: runbooks/rotate-secrets.md (signs everyone out).
resource "aws_secretsmanager_secret" "secret_key" {
  # checkov:skip=CKV2_AWS_57:Rotated by deploy/runbooks/rotate-secrets.md: the secret is a whole URL (or a key that signs sessions), which no managed rotation function rebuilds.
  name        = "${var.name}/secret-key"
  description = "FOLIO_SECRET_KEY for ${var.name} (signs cookies and CSRF tokens)"
  kms_key_id  = var.kms_key_arn
  # A read-only copy in the DR region, kept in sync by Secrets Manager: envs/dr's tasks use it
  # (sessions stay valid), and it is there when this region is not.
  dynamic "replica" {
    for_each = var.secret_replicas
    content {
      region     = replica.key
      kms_key_id = replica.value
    }
  }
  tags = var.tags
}

# --- the origin-verify header -------------------------------------------------------------------
# The ALB is internet-facing and its security group admits CloudFront's *shared* origin-facing
# prefix list: any CloudFront distribution, including someone else's without our WAF, could
# reach it. So CloudFront adds a secret header to every origin request (edge module) and the
# production listener forwards only requests that carry it; everything else gets a fixed 403.
#
# The value cannot be kept out of Terraform state with Terraform 1.11 and AWS provider 5.100:
# CloudFront's origin custom_header.value and the listener rule's http_header values are
# ordinary (not write-only) attributes, so the value is stored with those two resources whatever
# generates it. (An ephemeral aws_secretsmanager_random_password into the secret version's
# write-only secret_string_wo would spare one copy, but `terraform test` 1.11 cannot mock
# ephemeral resources, and the copies in the distribution and the rule would remain.) The state
# bucket is KMS-encrypted with restricted access; treat it as secret. Secrets Manager is the
# source of truth: Terraform reads AWSCURRENT (and, while rotating, AWSPREVIOUS) from it.
# Rotation: runbooks/rotate-secrets.md.

data "aws_secretsmanager_random_password" "origin_verify" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "origin_verify" {
  # checkov:skip=CKV2_AWS_57:Rotated by deploy/runbooks/rotate-secrets.md (two accepted values during the switch); a managed rotation Lambda cannot update CloudFront and the ALB in the right order.
  name        = "${var.name}/origin-verify"
  description = "Value of the ${local.origin_header} header CloudFront sends to the ALB of ${var.name}"
  kms_key_id  = var.kms_key_arn
  # The DR region's ALB (envs/dr) must accept the value the one CloudFront distribution sends.
  dynamic "replica" {
    for_each = var.secret_replicas
    content {
      region     = replica.key
      kms_key_id = replica.value
    }
  }
  tags = var.tags
}

# The first value only; later values are put by the rotation runbook (put-secret-value moves
# AWSCURRENT), and Terraform never writes one again.
resource "aws_secretsmanager_secret_version" "origin_verify" {
  secret_id     = aws_secretsmanager_secret.origin_verify.id
  secret_string = data.aws_secretsmanager_random_password.origin_verify.random_password
  lifecycle {
    ignore_changes = [secret_string]
  }
}

data "aws_secretsmanager_secret_version" "origin_verify" {
  secret_id     = coalesce(var.origin_verify_secret_arn, aws_secretsmanager_secret.origin_verify.id)
  version_stage = "AWSCURRENT"
  depends_on    = [aws_secretsmanager_secret_version.origin_verify]
}

# During a rotation only: the value before the last put-secret-value is still accepted.
data "aws_secretsmanager_secret_version" "origin_verify_previous" {
  count         = var.origin_verify_accept_previous ? 1 : 0
  secret_id     = coalesce(var.origin_verify_secret_arn, aws_secretsmanager_secret.origin_verify.id)
  version_stage = "AWSPREVIOUS"
  depends_on    = [aws_secretsmanager_secret_version.origin_verify]
}

locals {
  origin_header = "X-Origin-Verify"
  origin_verify_values = concat(
    [data.aws_secretsmanager_secret_version.origin_verify.secret_string],
    data.aws_secretsmanager_secret_version.origin_verify_previous[*].secret_string,
  )
}

# --- IAM ----------------------------------------------------------------------------------------

locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

# The execution role starts containers: pull the image, write logs, read exactly our secrets.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  name = "read-folio-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = local.secret_arns
      },
      {
        # Only through Secrets Manager, which decrypts the secrets above for ECS. Nothing else
        # the execution role does needs the key: ECR decrypts image layers under its own grant
        # and CloudWatch Logs encrypts with its key-policy permission.
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
    ]
  })
}

# The task role is what the app itself may do: media objects and sending email through the SES
# v2 API (the ses:// transport signs with these credentials; there is no SMTP user or key).
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = local.ecs_tasks_trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  name = "folio-app"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "MediaObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${var.media_bucket_arn}/media/*"
      },
      {
        Sid       = "MediaList"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.media_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["media/*"] } }
      },
      {
        # SES v2 SendEmail authorises against the identity and the configuration set; only
        # mail from FOLIO_EMAIL_FROM's address.
        Sid       = "SendEmail"
        Effect    = "Allow"
        Action    = ["ses:SendEmail", "ses:SendRawEmail"]
        Resource  = [var.ses_identity_arn, var.ses_configuration_set_arn]
        Condition = { StringEquals = { "ses:FromAddress" = local.from_address } }
      },
      {
        # IAM database authentication (FOLIO_DATABASE_AUTH=iam): tokens for the app role only.
        Sid      = "DatabaseLogin"
        Effect   = "Allow"
        Action   = "rds-db:connect"
        Resource = var.database.app_user_arn
      },
      {
        # The cache's IAM-authenticated user, on this replication group only.
        Sid      = "CacheLogin"
        Effect   = "Allow"
        Action   = "elasticache:Connect"
        Resource = var.cache.connect_arns
      },
      {
        # `folio check`: the identity is verified and the configuration set exists.
        Sid      = "CheckEmail"
        Effect   = "Allow"
        Action   = ["ses:GetEmailIdentity", "ses:GetConfigurationSet"]
        Resource = [var.ses_identity_arn, var.ses_configuration_set_arn]
      },
      {
        # The collector sidecar's awsemf exporter: EMF records into the one metrics log group
        # (created by the observability module, so no logs:CreateLogGroup).
        Sid      = "MetricsEmfLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = [local.metrics_log_group_arn, "${local.metrics_log_group_arn}:log-stream:*"]
      },
      {
        # PutMetricData has no resource-level permission; the namespace condition keeps the
        # tasks to their environment's namespace (EMF needs none of it today, but a collector
        # configured with a direct exporter would, and then only there).
        Sid       = "MetricsNamespace"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = var.metrics_namespace } }
      },
    ]
  })
}

data "aws_partition" "current" {}

locals {
  metrics_log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:${var.metrics_log_group_name}"
}

# --- cluster and task definitions -------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# --- metrics: the ADOT collector sidecar -----------------------------------------------------------
# web and worker serve Prometheus text on FOLIO_METRICS_LISTEN. A sidecar (AWS Distro for
# OpenTelemetry collector) in the same task scrapes it over localhost and writes embedded metric
# format (EMF) records to a log group, from which CloudWatch extracts metrics into
# metrics_namespace. No agent outside the task, nothing listening beyond it.
#
# Dimensions are declared, never derived: ClusterName and ServiceName are static labels of the
# scrape target, the rest are the app's own bounded labels. Resource attributes (task ARN, task
# id, image) are not turned into dimensions (resource_to_telemetry_conversion off), so a deploy
# or a scale-out creates no new metrics; the task id only names the log stream. Metrics that
# match no declaration stay in the log group (Logs Insights) and cost no custom metric.
# Counter names are matched with and without the _total suffix: collector releases differ in
# whether the Prometheus receiver trims it.

locals {
  collector_container = "adot-collector"
  cluster_dims        = ["ClusterName"]
  metric_declarations = [
    # Every process samples the jobs table, so web and worker publish the same figures: one
    # series per state across the cluster, read with the Maximum statistic.
    { dimensions = [concat(local.cluster_dims, ["state"])], metric_name_selectors = ["^folio_jobs$"] },
    { dimensions = [local.cluster_dims], metric_name_selectors = ["^folio_jobs_oldest_queued_age_seconds$"] },
    # Requests per service and status (route and method stay in the log group: templates times
    # methods times statuses would be hundreds of metrics), latency per service.
    { dimensions = [concat(local.cluster_dims, ["ServiceName"]), concat(local.cluster_dims, ["ServiceName", "status"])], metric_name_selectors = ["^folio_http_requests(_total)?$"] },
    { dimensions = [concat(local.cluster_dims, ["ServiceName"])], metric_name_selectors = ["^folio_http_request_duration_seconds$", "^folio_db_pool_max_connections$"] },
    { dimensions = [concat(local.cluster_dims, ["ServiceName", "state"])], metric_name_selectors = ["^folio_db_pool_connections$"] },
    { dimensions = [concat(local.cluster_dims, ["kind", "outcome"])], metric_name_selectors = ["^folio_job_duration_seconds$", "^folio_jobs_finished(_total)?$"] },
    { dimensions = [concat(local.cluster_dims, ["outcome"])], metric_name_selectors = ["^folio_emails(_total)?$"] },
    { dimensions = [concat(local.cluster_dims, ["result"])], metric_name_selectors = ["^folio_page_cache(_total)?$"] },
    { dimensions = [concat(local.cluster_dims, ["source"])], metric_name_selectors = ["^folio_session_loads(_total)?$"] },
    { dimensions = [concat(local.cluster_dims, ["limit"])], metric_name_selectors = ["^folio_rate_limited(_total)?$"] },
  ]

  # One configuration per service (its ServiceName label), passed as AOT_CONFIG_CONTENT.
  collector_config = { for svc in ["web", "worker"] : svc => yamlencode({
    extensions = { health_check = {} }
    receivers = {
      prometheus = {
        config = {
          global = {
            scrape_interval = "${var.metrics_collector.scrape_interval_seconds}s"
            scrape_timeout  = "${min(10, var.metrics_collector.scrape_interval_seconds)}s"
          }
          scrape_configs = [{
            job_name     = "folio-${svc}"
            metrics_path = "/metrics"
            static_configs = [{
              targets = ["localhost:${var.metrics_port}"]
              labels  = { ClusterName = var.name, ServiceName = svc }
            }]
          }]
        }
      }
    }
    processors = {
      # Task metadata for the log stream name only (see resource_to_telemetry_conversion).
      resourcedetection = { detectors = ["env", "ecs"], timeout = "2s", override = false }
      batch             = { timeout = "60s" }
    }
    exporters = {
      awsemf = {
        namespace                        = var.metrics_namespace
        log_group_name                   = var.metrics_log_group_name
        log_stream_name                  = "${svc}/{TaskId}"
        region                           = local.region
        dimension_rollup_option          = "NoDimensionRollup"
        resource_to_telemetry_conversion = { enabled = false }
        metric_declarations              = local.metric_declarations
      }
    }
    service = {
      extensions = ["health_check"]
      pipelines = {
        metrics = {
          receivers  = ["prometheus"]
          processors = ["resourcedetection", "batch"]
          exporters  = ["awsemf"]
        }
      }
    }
  }) }

  # Not essential: if the collector cannot start or dies, the app keeps serving (the metrics
  # go missing, which the scaling policies treat as "hold", and ECS restarts it).
  collector_definition = { for svc in ["web", "worker"] : svc => {
    name                   = local.collector_container
    image                  = var.metrics_collector.image
    essential              = false
    cpu                    = var.metrics_collector.cpu
    memory                 = var.metrics_collector.memory
    readonlyRootFilesystem = true
    environment            = [{ name = "AOT_CONFIG_CONTENT", value = local.collector_config[svc] }]
    restartPolicy          = { enabled = true, restartAttemptPeriod = 60 }
    healthCheck = {
      command     = ["/healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_names[svc]
        awslogs-region        = local.region
        awslogs-stream-prefix = "adot"
      }
    }
  } }
}

resource "aws_ecs_task_definition" "this" {
  for_each                 = local.commands
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.sizes[each.key].cpu
  memory                   = local.sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  # The app is always the first container (deploy/ci/deploy.sh sets containerDefinitions[0]'s
  # image); web and worker carry the collector sidecar after it.
  container_definitions = jsonencode(concat([{
    name                   = local.container
    image                  = local.image
    essential              = true
    command                = each.value
    readonlyRootFilesystem = true
    # Within FOLIO_SHUTDOWN_GRACE_SECS (20 s) plus slack: in-flight requests finish.
    stopTimeout  = 30
    portMappings = each.key == "web" ? [{ containerPort = var.app_port, protocol = "tcp" }] : []
    environment  = [for k in sort(keys(local.task_environment[each.key])) : { name = k, value = local.task_environment[each.key][k] }]
    secrets      = [for k in sort(keys(local.secrets[each.key])) : { name = k, valueFrom = local.secrets[each.key][k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_names[each.key]
        awslogs-region        = local.region
        awslogs-stream-prefix = each.key
      }
    }
  }], each.key == "migrate" ? [] : [local.collector_definition[each.key]]))
  tags = var.tags
}

# --- load balancer ------------------------------------------------------------------------------

resource "aws_lb" "this" {
  # checkov:skip=CKV2_AWS_28:The WAF web ACL sits on CloudFront in front of this ALB (waf module); a second regional ACL would only repeat it.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [var.alb_security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  # The app closes idle connections after FOLIO_IDLE_TIMEOUT_SECS (75 by default): keep that
  # above this, so the balancer never sends a request into a connection the app is closing.
  idle_timeout = 60
  access_logs {
    bucket  = var.logs_bucket_id
    prefix  = "alb"
    enabled = true
  }
  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  # checkov:skip=CKV_AWS_378:TLS ends at the ALB; the targets are tasks in private subnets on the app port, reached only from the ALB's security group.
  for_each = toset(["blue", "green"])
  # A prefix (at most 6 characters) and create_before_destroy: a change that replaces a target
  # group (port, protocol, target type, VPC) creates the new one under a new name first instead
  # of failing on the name the old one still holds. CodeDeploy owns which one is live, so such a
  # replacement is still a planned operation: runbooks/deploy.md.
  name_prefix          = each.key == "blue" ? "blue-" : "green-"
  port                 = var.app_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
  lifecycle {
    create_before_destroy = true
  }
  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2:This listener only redirects to HTTPS.
  # checkov:skip=CKV_AWS_103:No TLS on a redirect-only listener.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  # Anything without CloudFront's origin-verify header (another distribution, a direct request)
  # is refused. Target health checks go from the ALB to the tasks, not through listeners.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "403"
      message_body = "Forbidden"
    }
  }
  tags = var.tags
}

# The only way to the app: requests carrying the origin-verify header (one value, or two while
# a rotation is in progress). CodeDeploy moves this rule's forward action between blue and green
# (it reroutes every rule of the production listener that forwards to the original target group),
# so Terraform ignores the action after creating it.
resource "aws_lb_listener_rule" "origin_verify" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1
  condition {
    http_header {
      http_header_name = local.origin_header
      values           = local.origin_verify_values
    }
  }
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[var.initial_live_target_group].arn
  }
  lifecycle {
    ignore_changes = [action]
  }
  tags = var.tags
}

# The test listener: CodeDeploy routes it to the new tasks before production traffic moves.
# The pipeline smoke-tests the replacement tasks through it while the deployment waits before
# rerouting (deploy/ci/deploy.sh, a one-off task in the app subnets), and stops the deployment
# with a rollback if that fails. Port 8443 is open only to test_listener_source_cidrs (the NAT
# gateways' addresses, i.e. our own tasks), never to CloudFront or the internet.
resource "aws_lb_listener" "test" {
  load_balancer_arn = aws_lb.this.arn
  port              = 8443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[var.initial_live_target_group == "blue" ? "green" : "blue"].arn
  }
  # CodeDeploy moves the test listener's default action between blue and green.
  lifecycle {
    ignore_changes = [default_action]
  }
  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "test_listener" {
  # count, not for_each: the NAT addresses are only known after apply, their number before.
  count             = length(var.test_listener_source_cidrs)
  security_group_id = var.alb_security_group_id
  description       = "Test listener (8443) for the deploy smoke test, from our NAT gateways"
  cidr_ipv4         = var.test_listener_source_cidrs[count.index]
  ip_protocol       = "tcp"
  from_port         = 8443
  to_port           = 8443
  tags              = var.tags
}

# --- the deploy smoke test ------------------------------------------------------------------------
# deploy/ci/deploy.sh runs this as a one-off task while a CodeDeploy deployment waits before
# rerouting (deployment_ready_option below): GET /healthz, /readyz and /signin/ through the test
# listener, i.e. on the replacement tasks only, before any viewer reaches them. It exits 0 only
# if all three answer 200; on anything else the script stops the deployment with a rollback.
# The app image is distroless (no HTTP client), hence a small Python image from ECR Public.

resource "aws_security_group" "smoke" {
  # checkov:skip=CKV2_AWS_5:Attached per task by deploy/ci/deploy.sh (aws ecs run-task), not to a service.
  name        = "${var.name}-smoke"
  description = "Deploy smoke-test task: out to the test listener and HTTPS only, nothing in"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-smoke" })
}

# The test listener is on the ALB's public addresses (reached through the NAT gateways), which
# change, so the destination is any address, on the two ports only.
resource "aws_vpc_security_group_egress_rule" "smoke" {
  for_each          = { https = 443, test_listener = aws_lb_listener.test.port }
  security_group_id = aws_security_group.smoke.id
  description       = each.key == "https" ? "Image pull (ECR Public) and logs" : "The ALB test listener"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  tags              = var.tags
}

resource "aws_ecs_task_definition" "smoke" {
  family                   = "${var.name}-smoke"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([{
    name                   = "smoke"
    image                  = var.smoke_test_image
    essential              = true
    readonlyRootFilesystem = true
    environment            = [{ name = "SMOKE_URL", value = var.smoke_test_url }]
    command = ["python3", "-c", <<-PY
      import os, sys, time, urllib.error, urllib.request
      base = os.environ["SMOKE_URL"].rstrip("/")
      def status(path):
          try:
              return urllib.request.urlopen(base + path, timeout=10).status
          except urllib.error.HTTPError as e:
              return e.code
          except Exception as e:
              print(path, e)
              return 0
      for attempt in range(6):
          results = {p: status(p) for p in ("/healthz", "/readyz", "/signin/")}
          print("attempt", attempt + 1, results, flush=True)
          if all(s == 200 for s in results.values()):
              sys.exit(0)
          time.sleep(10)
      sys.exit(1)
      PY
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_names["migrate"]
        awslogs-region        = local.region
        awslogs-stream-prefix = "smoke"
      }
    }
  }])
  tags = var.tags
}

# --- services -----------------------------------------------------------------------------------

resource "aws_ecs_service" "web" {
  name                              = "web"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this["web"].arn
  desired_count                     = var.web.min
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true
  deployment_controller {
    type = "CODE_DEPLOY"
  }
  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.this["blue"].arn
    container_name   = local.container
    container_port   = var.app_port
  }
  # Under the CODE_DEPLOY controller ECS refuses UpdateService changes to what a deployment
  # owns: the task definition (the pipeline's image tag), the load balancer (CodeDeploy swaps
  # blue and green) and the network configuration (a new task set carries it). Terraform leaves
  # them alone; a subnet or security-group change goes out with the next CodeDeploy deployment
  # (appspec NetworkConfiguration, runbooks/deploy.md). Autoscaling owns the count.
  lifecycle {
    ignore_changes = [task_definition, load_balancer, network_configuration, desired_count]
  }
  depends_on = [aws_lb_listener.https, aws_lb_listener_rule.origin_verify]
  tags       = var.tags
}

resource "aws_ecs_service" "worker" {
  name                    = "worker"
  cluster                 = aws_ecs_cluster.this.id
  task_definition         = aws_ecs_task_definition.this["worker"].arn
  desired_count           = var.worker.min
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true
  deployment_controller {
    type = "ECS"
  }
  # A worker release that cannot start is rolled back by ECS itself.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.app_security_group_id]
    assign_public_ip = false
  }
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
  tags = var.tags
}

# --- autoscaling --------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web.min
  max_capacity       = var.web.max
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.web.cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Requests per task per minute, over both target groups: CodeDeploy moves live traffic between
# blue and green, so the predefined ALBRequestCountPerTarget (one target group) would go blind
# after every other deployment. Metric math adds both groups' requests and divides by the
# running web tasks (Container Insights).
resource "aws_appautoscaling_policy" "web_requests" {
  name               = "${var.name}-web-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.web.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      dynamic "metrics" {
        for_each = aws_lb_target_group.this
        content {
          id          = "requests_${metrics.key}"
          return_data = false
          metric_stat {
            stat = "Sum"
            metric {
              namespace   = "AWS/ApplicationELB"
              metric_name = "RequestCount"
              dimensions {
                name  = "LoadBalancer"
                value = aws_lb.this.arn_suffix
              }
              dimensions {
                name  = "TargetGroup"
                value = metrics.value.arn_suffix
              }
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.web.name
            }
          }
        }
      }
      metrics {
        id          = "requests_per_task"
        label       = "Requests per web task per minute (blue + green)"
        expression  = "(FILL(requests_blue, 0) + FILL(requests_green, 0)) / MAX([tasks, 1])"
        return_data = true
      }
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker.min
  max_capacity       = var.worker.max
}

# The worker scales on its queue, from the app's own gauges (collector sidecar, EMF): queued
# jobs per running worker task, and the age of the oldest queued job. Two target-tracking
# policies: Application Auto Scaling scales out when either asks for more tasks and in only
# when both allow it. web tasks publish the same gauges, so the metric exists even with one
# worker; with no data at all (collector down) target tracking holds the current count.
# Scale-out reacts within about a minute; scale-in waits longer so a burst does not flap.
locals {
  jobs_metric = {
    namespace  = var.metrics_namespace
    dimensions = { ClusterName = aws_ecs_cluster.this.name }
  }
}

resource "aws_appautoscaling_policy" "worker_queue" {
  name               = "${var.name}-worker-queue-depth"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.queued_jobs_per_task
    scale_in_cooldown  = var.worker.scale_in_cooldown
    scale_out_cooldown = var.worker.scale_out_cooldown
    customized_metric_specification {
      metrics {
        id          = "queued"
        return_data = false
        metric_stat {
          # Every task samples the same table: the maximum, not the sum, is the queue.
          stat = "Maximum"
          metric {
            namespace   = local.jobs_metric.namespace
            metric_name = "folio_jobs"
            dimensions {
              name  = "ClusterName"
              value = local.jobs_metric.dimensions.ClusterName
            }
            dimensions {
              name  = "state"
              value = "queued"
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }
      metrics {
        id          = "queued_per_task"
        label       = "Queued jobs per running worker task"
        expression  = "FILL(queued, 0) / MAX([FILL(tasks, 1), 1])"
        return_data = true
      }
    }
  }
}

resource "aws_appautoscaling_policy" "worker_oldest_job" {
  name               = "${var.name}-worker-oldest-queued-job"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.oldest_queued_age_target
    scale_in_cooldown  = var.worker.scale_in_cooldown
    scale_out_cooldown = var.worker.scale_out_cooldown
    customized_metric_specification {
      metrics {
        id          = "oldest"
        label       = "Age of the oldest queued job (seconds)"
        return_data = true
        metric_stat {
          stat = "Maximum"
          metric {
            namespace   = local.jobs_metric.namespace
            metric_name = "folio_jobs_oldest_queued_age_seconds"
            dimensions {
              name  = "ClusterName"
              value = local.jobs_metric.dimensions.ClusterName
            }
          }
        }
      }
    }
  }
}

# Non-production environments sleep at night: both services to zero, back in the morning.
resource "aws_appautoscaling_scheduled_action" "down" {
  for_each           = var.scale_down_schedule == null ? {} : { web = aws_appautoscaling_target.web, worker = aws_appautoscaling_target.worker }
  name               = "${var.name}-${each.key}-night"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension
  schedule           = var.scale_down_schedule.down
  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }
}

resource "aws_appautoscaling_scheduled_action" "up" {
  for_each           = var.scale_down_schedule == null ? {} : { web = aws_appautoscaling_target.web, worker = aws_appautoscaling_target.worker }
  name               = "${var.name}-${each.key}-morning"
  service_namespace  = each.value.service_namespace
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension
  schedule           = var.scale_down_schedule.up
  scalable_target_action {
    min_capacity = each.value.min_capacity
    max_capacity = each.value.max_capacity
  }
}

# --- blue/green deployments ---------------------------------------------------------------------

resource "aws_iam_role" "codedeploy" {
  name = "${var.name}-codedeploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codedeploy.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused deputy: only CodeDeploy acting for this account (CodeDeploy user guide).
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
}

# Deployment results for people: success, failure, stop and rollback of every web deployment
# (runbooks/deploy.md: subscribe e-mail, AWS Chatbot or an HTTPS webhook).
resource "aws_sns_topic" "deployments" {
  name              = "${var.name}-deployments"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

# CodeDeploy publishes triggers with its service role; the topic is encrypted with our key.
resource "aws_iam_role_policy" "codedeploy_notify" {
  name = "publish-deployment-events"
  role = aws_iam_role.codedeploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = aws_sns_topic.deployments.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource = var.kms_key_arn
      },
    ]
  })
}

resource "aws_codedeploy_app" "this" {
  name             = var.name
  compute_platform = "ECS"
  tags             = var.tags
}

resource "aws_codedeploy_deployment_group" "web" {
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = "web"
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_option = "WITH_TRAFFIC_CONTROL"
    deployment_type   = "BLUE_GREEN"
  }

  blue_green_deployment_config {
    # The replacement tasks get the test listener, then the deployment waits (status Ready)
    # until the pipeline's smoke test passes and it calls continue-deployment; without that
    # call, the deployment stops (and rolls back) after ready_wait_minutes.
    deployment_ready_option {
      action_on_timeout    = "STOP_DEPLOYMENT"
      wait_time_in_minutes = var.ready_wait_minutes
    }
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.termination_wait_minutes
    }
  }

  # A failed deployment, any of these alarms firing while it runs, or a stop (the pipeline's
  # failed smoke test) moves traffic back.
  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]
  }

  trigger_configuration {
    trigger_name       = "deployment-results"
    trigger_target_arn = aws_sns_topic.deployments.arn
    trigger_events     = ["DeploymentSuccess", "DeploymentFailure", "DeploymentStop", "DeploymentRollback"]
  }
  alarm_configuration {
    enabled = true
    alarms  = var.rollback_alarm_names
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.web.name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [aws_lb_listener.https.arn]
      }
      test_traffic_route {
        listener_arns = [aws_lb_listener.test.arn]
      }
      target_group {
        name = aws_lb_target_group.this["blue"].name
      }
      target_group {
        name = aws_lb_target_group.this["green"].name
      }
    }
  }
  depends_on = [aws_iam_role_policy.codedeploy_notify]
  tags       = var.tags
}
