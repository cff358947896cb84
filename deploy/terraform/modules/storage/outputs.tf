output "media_bucket_id" {
  description = "Name of the media bucket (FOLIO_STORAGE_URL=s3://<name>/media)."
  value       = aws_s3_bucket.media.id
}

output "media_bucket_arn" {
  description = "ARN of the media bucket."
  value       = aws_s3_bucket.media.arn
}

output "media_bucket_regional_domain_name" {
  description = "Regional domain of the media bucket, for the CloudFront origin."
  value       = aws_s3_bucket.media.bucket_regional_domain_name
}

output "logs_bucket_id" {
  description = "Name of the access-log bucket."
  value       = aws_s3_bucket.logs.id
}

output "logs_bucket_domain_name" {
  description = "Domain of the access-log bucket, for CloudFront logging."
  value       = aws_s3_bucket.logs.bucket_domain_name
}

output "origin_access_control_id" {
  description = "Origin Access Control for CloudFront to the private buckets."
  value       = aws_cloudfront_origin_access_control.this.id
}
