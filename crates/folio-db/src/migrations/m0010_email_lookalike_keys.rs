//! A key per user row that is equal for email addresses a reader can't tell apart
//! ([`crate::lookalike`]), indexed, and filled in for the rows already there. Additive: the
//! column may be empty, so the previous release, which writes rows without it, keeps working
//! (the rows it writes get their key from the web app's hourly sweep, which also runs at start).

use sea_orm_migration::prelude::*;

use crate::queries::users::fill_lookalike_keys;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    EmailLookalikeKey,
}

const INDEX: &str = "idx_users_email_lookalike_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::EmailLookalikeKey).string_len(64).null())
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Users::Table)
                    .col(Users::EmailLookalikeKey)
                    .take(),
            )
            .await?;
        fill_lookalike_keys(manager.get_connection()).await.map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Users::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailLookalikeKey)
                    .take(),
            )
            .await
    }
}
