# terraform init -backend-config=backend.hcl (bucket: output of deploy/terraform/bootstrap)
bucket = "folio-terraform-state-111111111111"
key    = "folio/dev/terraform.tfstate"
region = "eu-central-1"
