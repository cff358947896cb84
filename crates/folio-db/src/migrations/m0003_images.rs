//! Uploaded images: one row per stored original, referenced from `categories.image_key` and
//! `items.image_key` (which m0002 created for this). Purely additive.

use sea_orm_migration::prelude::*;

use super::types::{id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Images {
    Table,
    Id,
    Key,
    Format,
    Width,
    Height,
    ByteSize,
    RenditionsReady,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(id(Images::Id))
                    .col(ColumnDef::new(Images::Key).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Images::Format).string_len(8).not_null())
                    .col(ColumnDef::new(Images::Width).integer().not_null())
                    .col(ColumnDef::new(Images::Height).integer().not_null())
                    .col(ColumnDef::new(Images::ByteSize).big_integer().not_null())
                    .col(
                        ColumnDef::new(Images::RenditionsReady)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp(db, Images::CreatedAt).not_null())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Images::Table).take())
            .await
    }
}
