mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                = "folio-test"
  subnet_ids          = ["subnet-a", "subnet-b"]
  security_group_id   = "sg-db"
  kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  instance_class      = "db.t4g.micro"
  multi_az            = true
  deletion_protection = true
}

run "production_database" {
  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "Storage is encrypted with our key."
  }
  assert {
    condition     = aws_db_instance.this.multi_az && aws_db_instance.this.deletion_protection
    error_message = "Multi-AZ and deletion protection follow the inputs."
  }
  assert {
    condition     = aws_db_instance.this.backup_retention_period >= 7 && !aws_db_instance.this.skip_final_snapshot
    error_message = "At least 7 days of PITR, and a final snapshot."
  }
  assert {
    condition     = !aws_db_instance.this.publicly_accessible && aws_db_instance.this.vpc_security_group_ids == toset(["sg-db"])
    error_message = "Private, behind its own security group."
  }
  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "rds.force_ssl"]) == "1"
    error_message = "Connections must use TLS."
  }
}

# Issue 13: no database password in Terraform state, and the app is not the master user.
run "no_password_in_state_and_a_least_privilege_app_user" {
  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "RDS manages the master password; Terraform never sets one."
  }
  assert {
    condition     = aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn
    error_message = "The RDS-managed secret is encrypted with our key."
  }
  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled
    error_message = "The app role logs in with IAM tokens."
  }
  assert {
    condition     = output.app_url == "postgres://folio_app@${aws_db_instance.this.address}:5432/folio?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-ca-bundle.pem"
    error_message = "web and worker connect as folio_app, without a password, verifying the server against the RDS CAs in the image."
  }
  assert {
    condition     = startswith(output.migrate_url, "postgres://folio@") && !strcontains(output.migrate_url, ":@") && strcontains(output.migrate_url, "sslmode=verify-full")
    error_message = "migrate connects as the master user with no password in the URL, TLS verified."
  }
  assert {
    condition     = endswith(output.app_user_arn, ":dbuser:${aws_db_instance.this.resource_id}/folio_app") && startswith(output.app_user_arn, "arn:aws:rds-db:")
    error_message = "rds-db:connect is scoped to the app role on this instance."
  }
}

run "an_app_username_that_migrate_would_refuse_is_refused" {
  command = plan
  variables {
    app_username = "folio-app; drop"
  }
  expect_failures = [var.app_username]
}

run "exported_logs_and_parameter_group" {
  assert {
    condition = alltrue([
      for kind in aws_db_instance.this.enabled_cloudwatch_logs_exports :
      aws_cloudwatch_log_group.exports[kind].name == "/aws/rds/instance/folio-test/${kind}"
      && aws_cloudwatch_log_group.exports[kind].kms_key_id == var.kms_key_arn
      && aws_cloudwatch_log_group.exports[kind].retention_in_days == 30
    ])
    error_message = "Every exported log goes to a log group of ours: the instance's name, our key, a retention."
  }
  assert {
    condition     = startswith(aws_db_parameter_group.this.name_prefix, "folio-test-pg")
    error_message = "The parameter group is named by prefix, so a new family can be created before the old group goes."
  }
}

run "dev_database" {
  variables {
    multi_az            = false
    deletion_protection = false
  }
  assert {
    condition     = !aws_db_instance.this.multi_az && !aws_db_instance.this.deletion_protection && aws_db_instance.this.storage_encrypted
    error_message = "dev: single-AZ, deletable, still encrypted."
  }
}

run "short_retention_is_refused" {
  command = plan
  variables {
    backup_retention_days = 3
  }
  expect_failures = [var.backup_retention_days]
}

# Confused deputy: RDS may assume the monitoring role only on behalf of this account (issue 13).
run "monitoring_role_names_the_account" {
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role.monitoring.assume_role_policy).Statement : s.Condition.StringEquals["aws:SourceAccount"] == "123456789012"])
    error_message = "The enhanced-monitoring role trusts monitoring.rds only for this account (aws:SourceAccount)."
  }
}

# Disaster recovery: the DR composition creates the instance from the copied snapshot.
run "restored_from_snapshot" {
  command = plan
  variables {
    snapshot_identifier = "arn:aws:rds:eu-west-1:123456789012:snapshot:folio-prod-dr-copy"
  }
  assert {
    condition     = aws_db_instance.this.snapshot_identifier == var.snapshot_identifier
    error_message = "The instance is restored from the given snapshot."
  }
}
