//! Addresses no mail may go to: SES reported a hard bounce or a complaint for them (through
//! `POST /hooks/ses`). Purely additive.

use sea_orm_migration::prelude::*;

use super::types::{id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum EmailSuppressions {
    Table,
    Id,
    Email,
    Reason,
    Detail,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(EmailSuppressions::Table)
                    .col(id(EmailSuppressions::Id))
                    .col(
                        ColumnDef::new(EmailSuppressions::Email)
                            .string_len(254)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(EmailSuppressions::Reason)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EmailSuppressions::Detail)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(timestamp(db, EmailSuppressions::CreatedAt).not_null())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailSuppressions::Table).take())
            .await
    }
}
