output "bucket" {
  description = "State bucket name (backend.hcl: bucket)."
  value       = aws_s3_bucket.this.id
}

output "kms_key_arn" {
  description = "Key that encrypts the state (backend.hcl: kms_key_id)."
  value       = aws_kms_key.this.arn
}

output "replica_bucket" {
  description = "The state's replica in the DR region (envs/dr reads the primary's state from it when the primary region is gone)."
  value       = aws_s3_bucket.replica.bucket
}

output "replica_kms_key_arn" {
  description = "Key that encrypts the replica in the DR region."
  value       = aws_kms_key.replica.arn
}
