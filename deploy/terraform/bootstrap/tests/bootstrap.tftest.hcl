# The once-per-account stack, planned and applied against mocked providers (offline).
mock_provider "aws" {
  source = "../tests/mocks"
}

mock_provider "aws" {
  alias  = "dr"
  source = "../tests/mocks"
}

# Issue 13: images and state reach the DR region before it is needed.
run "replication_to_the_dr_region" {
  assert {
    condition = (
      one(one(aws_ecr_replication_configuration.dr.replication_configuration).rule).destination[0].region == var.dr_region
      && one(one(aws_ecr_replication_configuration.dr.replication_configuration).rule).repository_filter[0].filter == "folio-"
      && one(one(aws_ecr_replication_configuration.dr.replication_configuration).rule).repository_filter[0].filter_type == "PREFIX_MATCH"
      && output.ecr_replication_regions == ["eu-west-1"]
    )
    error_message = "ECR copies every folio-* repository's images to the DR region."
  }
  assert {
    condition     = output.state_replica_bucket == "folio-terraform-state-123456789012-eu-west-1"
    error_message = "The state bucket has a replica in the DR region, named after it."
  }
}

run "dr_region_differs" {
  command = plan
  variables {
    dr_region = "eu-central-1"
  }
  expect_failures = [var.dr_region]
}
