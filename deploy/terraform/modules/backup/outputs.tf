output "plan_id" {
  description = "ID of the backup plan."
  value       = aws_backup_plan.this.id
}

output "primary_vault_name" {
  description = "Backup vault in the primary region."
  value       = aws_backup_vault.primary.name
}

output "dr_vault_arn" {
  description = "Backup vault in the DR region that receives the copies."
  value       = aws_backup_vault.dr.arn
}

output "copy_destination_vault_arns" {
  description = "Where each daily backup is copied."
  value       = [for r in aws_backup_plan.this.rule : [for c in r.copy_action : c.destination_vault_arn]]
}

output "db_backup_replication_arn" {
  description = "Replicated automated backups in the DR region (null when off)."
  value       = try(aws_db_instance_automated_backups_replication.this[0].id, null)
}
