//! Personal access tokens for the JSON API. Only the SHA-256 of a token is kept (the token is
//! 256 random bits, so a fast digest is enough: there is nothing to brute-force), with the few
//! characters after its prefix so people can tell their tokens apart. Purely additive.

use sea_orm_migration::prelude::*;

use super::types::{id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    Id,
}

#[derive(Iden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Hint,
    CanWrite,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(ColumnDef::new(ApiTokens::UserId).big_integer().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::Hint).string_len(16).not_null())
                    .col(ColumnDef::new(ApiTokens::CanWrite).boolean().not_null())
                    .col(timestamp(db, ApiTokens::ExpiresAt).null())
                    .col(timestamp(db, ApiTokens::LastUsedAt).null())
                    .col(timestamp(db, ApiTokens::RevokedAt).null())
                    .col(timestamp(db, ApiTokens::CreatedAt).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}
