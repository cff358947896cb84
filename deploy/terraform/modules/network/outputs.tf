output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer, NAT)."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "Private subnets for the ECS tasks."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private subnets without a route out, for the database and cache."
  value       = aws_subnet.data[*].id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the ECS tasks."
  value       = aws_security_group.app.id
}

output "db_security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.db.id
}

output "cache_security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.cache.id
}

output "nat_gateway_count" {
  description = "NAT gateways (one per zone, or one shared)."
  value       = length(aws_nat_gateway.this)
}

output "nat_public_ips" {
  description = "Public addresses of the NAT gateways (the tasks' source address towards the ALB's public side)."
  value       = aws_eip.nat[*].public_ip
}
