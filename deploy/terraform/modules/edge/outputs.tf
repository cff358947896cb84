output "distribution_id" {
  description = "CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  description = "CloudFront's own domain name."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "alb_certificate_arn" {
  description = "Validated regional certificate for the ALB's HTTPS listeners."
  value       = aws_acm_certificate_validation.alb.certificate_arn
}

output "app_bucket_id" {
  description = "Bucket the pipeline publishes the browser app to (under app/; deploy/ci/publish-app.sh)."
  value       = aws_s3_bucket.app.id
}

output "app_bucket_arn" {
  description = "ARN of the browser app's bucket (the deployer role writes to it)."
  value       = aws_s3_bucket.app.arn
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution (the deployer role invalidates its index.html)."
  value       = aws_cloudfront_distribution.this.arn
}

output "failover_bucket_id" {
  description = "Bucket with the failover page."
  value       = aws_s3_bucket.failover.id
}

output "failover_error_codes" {
  description = "Origin statuses answered with the S3 failover page when the failover function did not answer (the backstop)."
  value       = [for r in aws_cloudfront_distribution.this.custom_error_response : r.error_code if r.response_page_path != null && r.response_page_path != ""]
}

output "failover_function_version_arn" {
  description = "Lambda@Edge origin-response function (us-east-1, numbered version) that answers origin failures: JSON 503 under /api/, the failover page elsewhere."
  value       = aws_lambda_function.failover.qualified_arn
}

output "site_url" {
  description = "The site's URL."
  value       = "https://${var.domain_name}"
}

output "origin_verify_header_name" {
  description = "Name of the secret header CloudFront sends to the ALB origin."
  # The origin block holds the (sensitive) value too; the name alone is no secret.
  value = nonsensitive(one([for o in aws_cloudfront_distribution.this.origin : one(o.custom_header[*].name) if o.origin_id == "alb"]))
}
