//! What the editor's side needs: a description (alt text) for every image, and a read mark on
//! contact messages. Purely additive: new columns with defaults, so the release before this one
//! keeps working against the migrated schema.

use sea_orm_migration::prelude::*;

use super::types::timestamp;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Items {
    Table,
    ImageAlt,
}

#[derive(Iden)]
enum Categories {
    Table,
    ImageAlt,
}

#[derive(Iden)]
enum ContactMessages {
    Table,
    ReadAt,
}

/// The longest image description kept (screen readers read it whole; keep it a sentence).
const ALT_MAX_CHARS: u32 = 300;

fn image_alt(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(ALT_MAX_CHARS)
        .not_null()
        .default("")
        .take()
}

/// The new columns, as (table, column definition); each goes in a statement of its own because
/// SQLite's `ALTER TABLE` adds one column at a time.
fn new_columns(db: sea_orm::DbBackend) -> Vec<(DynIden, ColumnDef)> {
    vec![
        (Items::Table.into_iden(), image_alt(Items::ImageAlt)),
        (Categories::Table.into_iden(), image_alt(Categories::ImageAlt)),
        (
            ContactMessages::Table.into_iden(),
            timestamp(db, ContactMessages::ReadAt).null().take(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in new_columns(manager.get_database_backend()) {
            let alter = Table::alter().table(table).add_column(&mut column).take();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in new_columns(manager.get_database_backend()).into_iter().rev() {
            let alter = Table::alter()
                .table(table)
                .drop_column(Alias::new(column.get_column_name()))
                .take();
            manager.alter_table(alter).await?;
        }
        Ok(())
    }
}
