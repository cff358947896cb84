# RDS PostgreSQL for Folio. No password passes through Terraform, so none is in its state:
# - the master user's password is RDS-managed (manage_master_user_password): RDS generates it,
#   keeps it in its own Secrets Manager secret (encrypted with our key) and rotates it. Only
#   `folio migrate` uses it, injected as FOLIO_DATABASE_PASSWORD;
# - web and worker log in as app_username, a role `folio migrate` creates with row access only
#   (FOLIO_DATABASE_APP_ROLE), by IAM database authentication: a token signed with the task
#   role, no password at all (FOLIO_DATABASE_AUTH=iam).
# Both URLs check the server's certificate against the RDS CAs shipped in the image.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  tls_query = "sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-ca-bundle.pem"
  endpoint  = "${aws_db_instance.this.address}:${aws_db_instance.this.port}/${var.database_name}"
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

# A prefix and create_before_destroy: a major-version upgrade changes the family, which replaces
# the group, and a group can't be deleted while the instance still uses it, nor created under
# the name the old one holds.
resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-pg${var.engine_version}-"
  family      = "postgres${var.engine_version}"

  # Clients must use TLS; the app's URLs say sslmode=verify-full.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

# The log groups RDS exports to, made here rather than by RDS on first write, so that their
# retention and encryption are ours (RDS would create them unencrypted, kept forever).
resource "aws_cloudwatch_log_group" "exports" {
  # checkov:skip=CKV_AWS_338:Retention is the environment's choice (log_retention_days: 365 in prod, 30 in dev to keep cost down).
  for_each          = toset(local.log_exports)
  name              = "/aws/rds/instance/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  log_exports = ["postgresql", "upgrade"]
}

data "aws_caller_identity" "monitoring" {}

resource "aws_iam_role" "monitoring" {
  name = "${var.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused deputy: only RDS on behalf of this account (RDS user guide, Enhanced Monitoring).
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.monitoring.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_157:Multi-AZ is an input: on in prod (asserted by envs/prod/tests), off in dev to halve its cost.
  # checkov:skip=CKV_AWS_293:Deletion protection is an input: on in prod (asserted by envs/prod/tests), off in dev so it can be torn down.
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.database_name
  username       = var.username
  port           = 5432
  # RDS generates, stores and rotates the master password; Terraform never sees it.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn
  # Disaster recovery (envs/dr): the instance is created from a snapshot copied to this region;
  # null creates an empty database.
  snapshot_identifier = var.snapshot_identifier

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  multi_az            = var.multi_az
  deletion_protection = var.deletion_protection
  # Backups give point-in-time recovery to any second of the retention window.
  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"
  delete_automated_backups  = false

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = local.log_exports
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = var.kms_key_arn
  monitoring_interval                 = 60
  monitoring_role_arn                 = aws_iam_role.monitoring.arn

  tags = var.tags
  # The log groups exist before RDS first writes to them.
  depends_on = [aws_cloudwatch_log_group.exports]
}
