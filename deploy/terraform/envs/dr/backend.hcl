# terraform init -backend-config=backend.hcl: the state bucket's replica in the DR region
# (output state_replica_bucket of deploy/terraform/bootstrap), usable when the primary is gone.
bucket = "folio-terraform-state-111111111111-eu-west-1"
key    = "folio/prod-dr/terraform.tfstate"
region = "eu-west-1"
