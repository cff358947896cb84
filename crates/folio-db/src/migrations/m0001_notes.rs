//! Users, sessions, password resets, pads and notes.

use sea_orm_migration::prelude::*;

use super::types::{id, long_text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    IsStaff,
    CreatedAt,
}

#[derive(Iden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAt,
}

#[derive(Iden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(Iden)]
enum Pads {
    Table,
    Id,
    UserId,
    Name,
    CreatedAt,
}

#[derive(Iden)]
enum Notes {
    Table,
    Id,
    UserId,
    PadId,
    Name,
    Text,
    CreatedAt,
    UpdatedAt,
}

fn cascade_to_user(from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id(Users::Id))
                    .col(
                        ColumnDef::new(Users::Email)
                            .string_len(254)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).not_null())
                    .col(ColumnDef::new(Users::IsStaff).boolean().not_null().default(false))
                    .col(timestamp(db, Users::CreatedAt).not_null())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Sessions::UserId).big_integer().null())
                    .col(ColumnDef::new(Sessions::Data).text().not_null())
                    .col(timestamp(db, Sessions::ExpiresAt).not_null())
                    .foreign_key(&mut cascade_to_user((Sessions::Table, Sessions::UserId)))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(id(PasswordResets::Id))
                    .col(ColumnDef::new(PasswordResets::UserId).big_integer().not_null())
                    .col(
                        ColumnDef::new(PasswordResets::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(db, PasswordResets::ExpiresAt).not_null())
                    .col(timestamp(db, PasswordResets::UsedAt).null())
                    .col(timestamp(db, PasswordResets::CreatedAt).not_null())
                    .foreign_key(&mut cascade_to_user((
                        PasswordResets::Table,
                        PasswordResets::UserId,
                    )))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Pads::Table)
                    .col(id(Pads::Id))
                    .col(ColumnDef::new(Pads::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Pads::Name).string_len(100).not_null())
                    .col(timestamp(db, Pads::CreatedAt).not_null())
                    .foreign_key(&mut cascade_to_user((Pads::Table, Pads::UserId)))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notes::Table)
                    .col(id(Notes::Id))
                    .col(ColumnDef::new(Notes::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Notes::PadId).big_integer().null())
                    .col(ColumnDef::new(Notes::Name).string_len(100).not_null())
                    .col(long_text(db, Notes::Text).not_null())
                    .col(timestamp(db, Notes::CreatedAt).not_null())
                    .col(timestamp(db, Notes::UpdatedAt).not_null())
                    .foreign_key(&mut cascade_to_user((Notes::Table, Notes::UserId)))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notes::Table, Notes::PadId)
                            .to(Pads::Table, Pads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        for (name, table, cols) in [
            (
                "idx_sessions_user",
                Sessions::Table.into_iden(),
                vec![Sessions::UserId.into_iden()],
            ),
            (
                "idx_sessions_expires",
                Sessions::Table.into_iden(),
                vec![Sessions::ExpiresAt.into_iden()],
            ),
            (
                "idx_password_resets_user",
                PasswordResets::Table.into_iden(),
                vec![PasswordResets::UserId.into_iden()],
            ),
            (
                "idx_pads_user",
                Pads::Table.into_iden(),
                vec![Pads::UserId.into_iden()],
            ),
            (
                "idx_notes_user_updated",
                Notes::Table.into_iden(),
                vec![Notes::UserId.into_iden(), Notes::UpdatedAt.into_iden()],
            ),
            (
                "idx_notes_pad",
                Notes::Table.into_iden(),
                vec![Notes::PadId.into_iden()],
            ),
        ] {
            let mut index = Index::create().name(name).table(table).take();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notes::Table.into_iden(),
            Pads::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
