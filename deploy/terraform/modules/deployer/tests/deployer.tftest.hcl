mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                             = "folio-prod"
  oidc_provider_arn                = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  github_repository                = "example-org/folio"
  github_environment               = "prod"
  ecr_repository_arn               = "arn:aws:ecr:eu-central-1:123456789012:repository/folio-prod"
  cluster_arn                      = "arn:aws:ecs:eu-central-1:123456789012:cluster/folio-prod"
  task_definition_families         = ["folio-prod-web", "folio-prod-worker", "folio-prod-migrate"]
  pass_role_arns                   = ["arn:aws:iam::123456789012:role/folio-prod-execution", "arn:aws:iam::123456789012:role/folio-prod-task"]
  codedeploy_app_name              = "folio-prod"
  codedeploy_deployment_group_name = "web"
  migrate_log_group_name           = "/folio/folio-prod/migrate"
  signing_key_secret_arn           = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:folio-prod/secret-key-AbCdEf"
  kms_key_arn                      = "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000001"
  app_bucket_arn                   = "arn:aws:s3:::folio-prod-app-123456789012"
  distribution_arn                 = "arn:aws:cloudfront::123456789012:distribution/E2DIST"
}

# Issue 13: the pipeline gives the signing key its first value (Terraform never holds it); it
# may write that one secret and never read any.
run "seeds_the_signing_key_and_reads_no_secret" {
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SeedSigningKey"]) == {
      Sid = "SeedSigningKey", Effect = "Allow", Action = ["secretsmanager:ListSecretVersionIds", "secretsmanager:PutSecretValue"], Resource = var.signing_key_secret_arn
    }
    error_message = "Only that secret, and only listing versions and putting a value."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")]) == 0
    error_message = "The deploy role never reads a secret's value."
  }
}

run "trust_and_least_privilege" {
  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/folio:environment:prod"
    error_message = "Only the repository's prod environment may assume the prod role."
  }
  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "The token's audience is STS."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource != "*" || contains(["EcrLogin", "TaskDefinitions"], s.Sid)])
    error_message = "Only actions without resource-level permissions use Resource \"*\"."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : !anytrue([for a in flatten([s.Action]) : endswith(a, ":*")])])
    error_message = "No wildcard actions."
  }
  assert {
    condition     = toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "PassTaskRoles"])) == toset(var.pass_role_arns)
    error_message = "The pipeline passes only the task roles."
  }
}

# deploy.sh continues a deployment only after the smoke test, and stops it otherwise.
run "drives_the_smoke_test_gate" {
  variables {
    task_definition_families = ["folio-prod-web", "folio-prod-worker", "folio-prod-migrate", "folio-prod-smoke"]
  }
  assert {
    condition     = length(setintersection(toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "BlueGreen"])), toset(["codedeploy:ContinueDeployment", "codedeploy:StopDeployment"]))) == 2
    error_message = "The pipeline continues a deployment after the smoke test and stops it (with rollback) when it fails."
  }
  assert {
    condition     = contains(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "RunOneOffTasks"]), "arn:aws:ecs:eu-central-1:123456789012:task-definition/folio-prod-smoke:*")
    error_message = "The pipeline may run the smoke-test task."
  }
}

# A non-production environment sleeps at night; deploy.sh wakes web and worker for a deploy and
# puts them back to sleep. Only those two scalable targets, only RegisterScalableTarget, and
# nothing of the kind by default (production).
run "wakes_only_given_scalable_targets" {
  variables {
    wake_scalable_target_arns = [
      "arn:aws:application-autoscaling:eu-central-1:123456789012:scalable-target/0ec5web",
      "arn:aws:application-autoscaling:eu-central-1:123456789012:scalable-target/0ec5worker",
    ]
  }
  assert {
    condition = jsonencode(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WakeSleepingServices"])) == jsonencode({
      Action   = "application-autoscaling:RegisterScalableTarget"
      Effect   = "Allow"
      Resource = var.wake_scalable_target_arns
      Sid      = "WakeSleepingServices"
    })
    error_message = "The pipeline may only register (wake or put back to sleep) the two given scalable targets."
  }
  assert {
    condition     = output.wakes_sleeping_services
    error_message = "The output says the pipeline may wake the services."
  }
}

run "production_cannot_wake" {
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WakeSleepingServices"]) == 0 && !output.wakes_sleeping_services
    error_message = "Without scalable targets (production) the pipeline's role has no Application Auto Scaling permission."
  }
}

# Issue 19: the pipeline publishes the browser app: it writes under app/ of that bucket and
# invalidates that distribution, and may delete nothing.
run "publishes_the_browser_app_and_deletes_nothing" {
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "PublishBrowserApp"]) == "arn:aws:s3:::folio-prod-app-123456789012/app/*"
    error_message = "Writes go under app/ of the app's bucket only."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "InvalidateAppEntryPage"]) == "arn:aws:cloudfront::123456789012:distribution/E2DIST"
    error_message = "Invalidations on this distribution only."
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.this.policy, "s3:DeleteObject")
    error_message = "The pipeline never deletes the app's files."
  }
}
