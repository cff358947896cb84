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

output "events_topic_arn" {
  description = "SNS topic of the primary vault's job events (failed backups and copies, restores)."
  value       = aws_sns_topic.events.arn
}

output "vault_lock" {
  description = "Vault Lock of each vault: min/max retention days and the days it stays changeable (null: governance mode)."
  value = {
    for k, l in { primary = aws_backup_vault_lock_configuration.primary, dr = aws_backup_vault_lock_configuration.dr } :
    k => { min_retention_days = l.min_retention_days, max_retention_days = l.max_retention_days, changeable_for_days = l.changeable_for_days }
  }
}
