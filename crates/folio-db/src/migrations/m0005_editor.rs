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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .add_column(image_alt(Items::ImageAlt))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Categories::Table)
                    .add_column(image_alt(Categories::ImageAlt))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ContactMessages::Table)
                    .add_column(timestamp(db, ContactMessages::ReadAt).null().take())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ContactMessages::Table)
                    .drop_column(ContactMessages::ReadAt)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Categories::Table)
                    .drop_column(Categories::ImageAlt)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Items::Table)
                    .drop_column(Items::ImageAlt)
                    .take(),
            )
            .await
    }
}
