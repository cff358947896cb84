//! The site (categories, items, subscribers, deliveries, contact messages), the admin's audit
//! log, the outbox job queue, and `users.is_active` for deactivation. Purely additive.

use sea_orm_migration::prelude::*;

use super::types::{id, long_text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Users {
    Table,
    Id,
    IsActive,
}

#[derive(Iden)]
enum Categories {
    Table,
    Id,
    Name,
    Slug,
    Summary,
    ImageKey,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden)]
enum Items {
    Table,
    Id,
    CategoryId,
    Title,
    Slug,
    Summary,
    Body,
    BodyHtml,
    ImageKey,
    Status,
    PublishedAt,
    ViewCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden)]
enum Subscribers {
    Table,
    Id,
    Email,
    UserId,
    Token,
    Confirmed,
    CreatedAt,
    ConfirmedAt,
}

#[derive(Iden)]
enum Deliveries {
    Table,
    Id,
    ItemId,
    SubscriberId,
    State,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden)]
enum ContactMessages {
    Table,
    Id,
    Name,
    Email,
    Subject,
    Message,
    CreatedAt,
}

#[derive(Iden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    ActorEmail,
    Action,
    ObjectType,
    ObjectId,
    Summary,
    CreatedAt,
}

#[derive(Iden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    State,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
}

fn string(name: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::IsActive).boolean().not_null().default(true))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(id(Categories::Id))
                    .col(string(Categories::Name, 200).unique_key().take())
                    .col(string(Categories::Slug, 200).unique_key().take())
                    .col(ColumnDef::new(Categories::Summary).text().not_null())
                    .col(ColumnDef::new(Categories::ImageKey).string_len(255).null())
                    .col(
                        ColumnDef::new(Categories::Position)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp(db, Categories::CreatedAt).not_null())
                    .col(timestamp(db, Categories::UpdatedAt).not_null())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .col(id(Items::Id))
                    .col(ColumnDef::new(Items::CategoryId).big_integer().not_null())
                    .col(string(Items::Title, 200).unique_key().take())
                    .col(string(Items::Slug, 200).unique_key().take())
                    .col(string(Items::Summary, 200))
                    .col(long_text(db, Items::Body).not_null())
                    .col(long_text(db, Items::BodyHtml).not_null())
                    .col(ColumnDef::new(Items::ImageKey).string_len(255).null())
                    .col(string(Items::Status, 16))
                    .col(timestamp(db, Items::PublishedAt).null())
                    .col(
                        ColumnDef::new(Items::ViewCount)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp(db, Items::CreatedAt).not_null())
                    .col(timestamp(db, Items::UpdatedAt).not_null())
                    // Deleting a category that still has items is refused, never cascaded.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Items::Table, Items::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subscribers::Table)
                    .col(id(Subscribers::Id))
                    .col(string(Subscribers::Email, 254).unique_key().take())
                    .col(ColumnDef::new(Subscribers::UserId).big_integer().null())
                    .col(string(Subscribers::Token, 64).unique_key().take())
                    .col(
                        ColumnDef::new(Subscribers::Confirmed)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp(db, Subscribers::CreatedAt).not_null())
                    .col(timestamp(db, Subscribers::ConfirmedAt).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Subscribers::Table, Subscribers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(id(Deliveries::Id))
                    .col(ColumnDef::new(Deliveries::ItemId).big_integer().not_null())
                    .col(ColumnDef::new(Deliveries::SubscriberId).big_integer().not_null())
                    .col(string(Deliveries::State, 16))
                    .col(ColumnDef::new(Deliveries::LastError).text().null())
                    .col(timestamp(db, Deliveries::CreatedAt).not_null())
                    .col(timestamp(db, Deliveries::UpdatedAt).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliveries::Table, Deliveries::ItemId)
                            .to(Items::Table, Items::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliveries::Table, Deliveries::SubscriberId)
                            .to(Subscribers::Table, Subscribers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactMessages::Table)
                    .col(id(ContactMessages::Id))
                    .col(string(ContactMessages::Name, 100))
                    .col(string(ContactMessages::Email, 254))
                    .col(string(ContactMessages::Subject, 200))
                    .col(ColumnDef::new(ContactMessages::Message).text().not_null())
                    .col(timestamp(db, ContactMessages::CreatedAt).not_null())
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(id(AuditLog::Id))
                    .col(ColumnDef::new(AuditLog::ActorId).big_integer().null())
                    // Copied so the entry still names its author after the user is deleted.
                    .col(string(AuditLog::ActorEmail, 254))
                    .col(string(AuditLog::Action, 32))
                    .col(string(AuditLog::ObjectType, 32))
                    .col(ColumnDef::new(AuditLog::ObjectId).big_integer().null())
                    .col(string(AuditLog::Summary, 500))
                    .col(timestamp(db, AuditLog::CreatedAt).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(id(Jobs::Id))
                    .col(string(Jobs::Kind, 64))
                    .col(long_text(db, Jobs::Payload).not_null())
                    .col(string(Jobs::State, 16))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(timestamp(db, Jobs::RunAt).not_null())
                    .col(timestamp(db, Jobs::LockedUntil).null())
                    .col(ColumnDef::new(Jobs::LockedBy).string_len(64).null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(timestamp(db, Jobs::CreatedAt).not_null())
                    .col(timestamp(db, Jobs::UpdatedAt).not_null())
                    .take(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "idx_items_status_published",
                Items::Table.into_iden(),
                vec![Items::Status.into_iden(), Items::PublishedAt.into_iden()],
                false,
            ),
            (
                "idx_items_category_status",
                Items::Table.into_iden(),
                vec![
                    Items::CategoryId.into_iden(),
                    Items::Status.into_iden(),
                    Items::PublishedAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_subscribers_user",
                Subscribers::Table.into_iden(),
                vec![Subscribers::UserId.into_iden()],
                false,
            ),
            (
                "idx_deliveries_item_subscriber",
                Deliveries::Table.into_iden(),
                vec![
                    Deliveries::ItemId.into_iden(),
                    Deliveries::SubscriberId.into_iden(),
                ],
                true,
            ),
            (
                "idx_deliveries_subscriber",
                Deliveries::Table.into_iden(),
                vec![Deliveries::SubscriberId.into_iden()],
                false,
            ),
            (
                "idx_audit_log_created",
                AuditLog::Table.into_iden(),
                vec![AuditLog::CreatedAt.into_iden()],
                false,
            ),
            (
                "idx_audit_log_actor",
                AuditLog::Table.into_iden(),
                vec![AuditLog::ActorId.into_iden()],
                false,
            ),
            (
                "idx_jobs_state_run_at",
                Jobs::Table.into_iden(),
                vec![Jobs::State.into_iden(), Jobs::RunAt.into_iden()],
                false,
            ),
            (
                "idx_contact_messages_created",
                ContactMessages::Table.into_iden(),
                vec![ContactMessages::CreatedAt.into_iden()],
                false,
            ),
        ] {
            let mut index = Index::create().name(name).table(table).take();
            if unique {
                index.unique();
            }
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            AuditLog::Table.into_iden(),
            ContactMessages::Table.into_iden(),
            Deliveries::Table.into_iden(),
            Subscribers::Table.into_iden(),
            Items::Table.into_iden(),
            Categories::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::IsActive)
                    .take(),
            )
            .await
    }
}
