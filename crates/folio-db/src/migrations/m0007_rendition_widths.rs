//! Which extra widths of an image's renditions exist (responsive images). Purely additive: one
//! new column defaulting to none, so images rendered by the previous release keep showing their
//! base renditions, and that release keeps working against the migrated schema.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Images {
    Table,
    RenditionExtras,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Images::Table)
                    .add_column(
                        ColumnDef::new(Images::RenditionExtras)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Images::Table)
                    .drop_column(Images::RenditionExtras)
                    .take(),
            )
            .await
    }
}
