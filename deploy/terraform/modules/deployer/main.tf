# The role GitHub Actions assumes through OIDC to deploy one environment: no stored AWS keys,
# and only the deploy job of this repository's matching GitHub environment can assume it.
# It may push images, register task definitions of our families, run the migrate and smoke-test
# tasks, update the worker service and drive CodeDeploy (create, continue after the smoke test,
# stop with rollback). It cannot change infrastructure: Terraform
# is applied by people (deploy/runbooks/first-deploy.md), not by the pipeline.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-github-deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:environment:${var.github_environment}"
        }
      }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "deploy-folio"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid    = "EcrPushAndScan"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
          "ecr:DescribeImages", "ecr:DescribeImageScanFindings", "ecr:GetDownloadUrlForLayer",
          "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
        ]
        Resource = var.ecr_repository_arn
      },
      {
        # Register/Describe task definition take no resource-level restriction.
        Sid      = "TaskDefinitions"
        Effect   = "Allow"
        Action   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]
        Resource = "*"
      },
      {
        Sid      = "RunOneOffTasks"
        Effect   = "Allow"
        Action   = "ecs:RunTask"
        Resource = [for f in var.task_definition_families : "arn:aws:ecs:${local.region}:${local.account}:task-definition/${f}:*"]
        Condition = {
          ArnEquals = { "ecs:cluster" = var.cluster_arn }
        }
      },
      {
        Sid      = "WatchTasksAndServices"
        Effect   = "Allow"
        Action   = ["ecs:DescribeTasks", "ecs:DescribeServices", "ecs:UpdateService"]
        Resource = ["arn:aws:ecs:${local.region}:${local.account}:task/*", "arn:aws:ecs:${local.region}:${local.account}:service/*"]
        Condition = {
          ArnEquals = { "ecs:cluster" = var.cluster_arn }
        }
      },
      {
        Sid      = "PassTaskRoles"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = var.pass_role_arns
        Condition = {
          StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" }
        }
      },
      {
        Sid    = "BlueGreen"
        Effect = "Allow"
        Action = [
          "codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:StopDeployment",
          "codedeploy:ContinueDeployment",
          "codedeploy:GetDeploymentGroup", "codedeploy:GetApplicationRevision",
          "codedeploy:RegisterApplicationRevision",
        ]
        Resource = [
          "arn:aws:codedeploy:${local.region}:${local.account}:application:${var.codedeploy_app_name}",
          "arn:aws:codedeploy:${local.region}:${local.account}:deploymentgroup:${var.codedeploy_app_name}/${var.codedeploy_deployment_group_name}",
        ]
      },
      {
        Sid      = "DeploymentConfig"
        Effect   = "Allow"
        Action   = "codedeploy:GetDeploymentConfig"
        Resource = "arn:aws:codedeploy:${local.region}:${local.account}:deploymentconfig:*"
      },
      {
        # seed-secrets.sh: the signing key gets its first value (never read back).
        Sid      = "SeedSigningKey"
        Effect   = "Allow"
        Action   = ["secretsmanager:ListSecretVersionIds", "secretsmanager:PutSecretValue"]
        Resource = var.signing_key_secret_arn
      },
      {
        # PutSecretValue encrypts the new value with the secret's key.
        Sid       = "SeedSigningKeyEncrypt"
        Effect    = "Allow"
        Action    = "kms:GenerateDataKey"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
      {
        Sid      = "MigrateLogs"
        Effect   = "Allow"
        Action   = ["logs:GetLogEvents", "logs:FilterLogEvents"]
        Resource = "arn:aws:logs:${local.region}:${local.account}:log-group:${var.migrate_log_group_name}:*"
      },
      {
        # publish-app.sh: the browser app's files go under app/ of its bucket (never deleted:
        # tabs opened before a deploy still load their hashed assets).
        Sid      = "PublishBrowserApp"
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "${var.app_bucket_arn}/app/*"
      },
      {
        Sid      = "ListBrowserApp"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = var.app_bucket_arn
      },
      {
        # ...then the cached index.html is replaced.
        Sid      = "InvalidateAppEntryPage"
        Effect   = "Allow"
        Action   = "cloudfront:CreateInvalidation"
        Resource = var.distribution_arn
      },
      ],
      # A deploy that lands while a non-production environment sleeps wakes web and worker (one
      # task each) and puts them back to min = max = 0 afterwards (ci/deploy.sh). Only those two
      # scalable targets, and none at all in production.
      [for arns in [var.wake_scalable_target_arns] : {
        Sid      = "WakeSleepingServices"
        Effect   = "Allow"
        Action   = "application-autoscaling:RegisterScalableTarget"
        Resource = arns
      } if length(arns) > 0],
    )
  })
}
