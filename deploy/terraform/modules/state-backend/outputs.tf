output "bucket" {
  description = "State bucket name (backend.hcl: bucket)."
  value       = aws_s3_bucket.this.id
}

output "kms_key_arn" {
  description = "Key that encrypts the state (backend.hcl: kms_key_id)."
  value       = aws_kms_key.this.arn
}
