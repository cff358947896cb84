output "web_acl_arn" {
  description = "ARN of the web ACL (give it to the edge module)."
  value       = aws_wafv2_web_acl.this.arn
}

output "signin_rate_limit" {
  description = "POSTs to /signin/ per IP per 5 minutes."
  value       = var.signin_rate_limit
}
