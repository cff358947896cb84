//! Issue 15, history that is kept: a notification delivery outlives its subscriber.
//!
//! `deliveries.subscriber_id` was `NOT NULL` with `ON DELETE CASCADE`, so an unsubscribe (which
//! deletes the subscriber) or a staff delete took the subscriber's sent deliveries with it and an
//! item's "sent" count dropped. It becomes nullable with `ON DELETE SET NULL`: the delivery row
//! stays, counted under its state, with no recipient. (A counter on the item would also keep the
//! number, but it would be a second record of what the deliveries already say, to keep in step
//! with them; this keeps one.) The unique index on (item_id, subscriber_id) admits any number of
//! NULLs on all three backends, so kept rows never collide.
//!
//! Finished jobs kept as `succeeded` need no schema change: the state column takes any short
//! string, and the `(state, run_at)` index serves both claims (the `queued` and `running` ranges
//! are untouched by the `succeeded` rows beside them) and the prune (see
//! `queries::jobs::prune_succeeded`).
//!
//! Expand-only: the release before this one reads deliveries by column and never loads a row
//! whose `subscriber_id` is NULL (its sender joins subscribers), so it runs on this schema.

use sea_orm::{DbBackend, Statement};
use sea_orm_migration::prelude::*;

use super::types::{id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Items {
    Table,
    Id,
}

#[derive(Iden)]
enum Subscribers {
    Table,
    Id,
}

#[derive(Clone, Copy, Iden)]
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

/// The new table while SQLite rebuilds `deliveries`.
#[derive(Iden)]
enum DeliveriesRebuilt {
    #[iden = "deliveries_rebuilt"]
    Table,
}

/// The foreign key's name from now on (m0002 left it unnamed, so each server named it).
const FK_NAME: &str = "fk_deliveries_subscriber";

/// How a delivery's subscriber reference behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SubscriberRef {
    /// m0002: required, and deleting the subscriber deletes the delivery.
    Cascade,
    /// From m0006: optional, and deleting the subscriber keeps the delivery without one.
    SetNull,
}

impl SubscriberRef {
    fn action(self) -> ForeignKeyAction {
        match self {
            Self::Cascade => ForeignKeyAction::Cascade,
            Self::SetNull => ForeignKeyAction::SetNull,
        }
    }

    /// `information_schema.referential_constraints.delete_rule` when this is in place.
    fn rule(self) -> &'static str {
        match self {
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
        }
    }

    /// The column's definition; `typed` false for PostgreSQL's `ALTER COLUMN … DROP NOT NULL`,
    /// where restating the type would be a type change to check (and maybe rebuild indexes).
    fn column(self, typed: bool) -> ColumnDef {
        let mut col = ColumnDef::new(Deliveries::SubscriberId);
        if typed {
            col.big_integer();
        }
        match self {
            Self::Cascade => col.not_null(),
            Self::SetNull => col.null(),
        };
        col
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        change_subscriber_ref(manager, SubscriberRef::SetNull).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A delivery without a subscriber can't go back under NOT NULL: it goes.
        manager
            .execute(
                Query::delete()
                    .from_table(Deliveries::Table)
                    .and_where(Expr::col(Deliveries::SubscriberId).is_null())
                    .take(),
            )
            .await?;
        change_subscriber_ref(manager, SubscriberRef::Cascade).await
    }
}

async fn change_subscriber_ref(manager: &SchemaManager<'_>, to: SubscriberRef) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Sqlite => rebuild_on_sqlite(manager, to).await,
        backend => alter_on_server(manager, backend, to).await,
    }
}

/// PostgreSQL and MySQL/MariaDB alter the constraint in place. Each step checks what is
/// there first, so a run cut short (MySQL's DDL is not transactional) can simply run again.
async fn alter_on_server(
    manager: &SchemaManager<'_>,
    backend: DbBackend,
    to: SubscriberRef,
) -> Result<(), DbErr> {
    let current = subscriber_foreign_key(manager, backend).await?;
    if current.as_ref().is_some_and(|(_, rule)| rule == to.rule()) {
        return Ok(());
    }
    if let Some((name, _)) = current {
        manager
            .drop_foreign_key(ForeignKey::drop().name(name).table(Deliveries::Table).to_owned())
            .await?;
    }
    // One statement per backend: the column's nullability first (SET NULL needs a nullable
    // column), then the key. PostgreSQL validates the new key against the rows, which the old
    // key already guaranteed.
    manager
        .alter_table(
            Table::alter()
                .table(Deliveries::Table)
                .modify_column(to.column(backend != DbBackend::Postgres))
                .add_foreign_key(
                    TableForeignKey::new()
                        .name(FK_NAME)
                        .from_tbl(Deliveries::Table)
                        .from_col(Deliveries::SubscriberId)
                        .to_tbl(Subscribers::Table)
                        .to_col(Subscribers::Id)
                        .on_delete(to.action()),
                )
                .take(),
        )
        .await
}

/// The name and delete rule of the foreign key on `deliveries.subscriber_id`, if any.
async fn subscriber_foreign_key(
    manager: &SchemaManager<'_>,
    backend: DbBackend,
) -> Result<Option<(String, String)>, DbErr> {
    let schema = match backend {
        DbBackend::Postgres => "current_schema()",
        _ => "DATABASE()",
    };
    let sql = format!(
        "SELECT kcu.constraint_name AS name, rc.delete_rule AS rule \
         FROM information_schema.key_column_usage kcu \
         JOIN information_schema.referential_constraints rc \
           ON rc.constraint_schema = kcu.constraint_schema AND rc.constraint_name = kcu.constraint_name \
         WHERE kcu.table_schema = {schema} AND kcu.table_name = 'deliveries' \
           AND kcu.column_name = 'subscriber_id'"
    );
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    row.map(|row| Ok((row.try_get("", "name")?, row.try_get("", "rule")?)))
        .transpose()
}

/// SQLite can't change a column's constraints: the table is rebuilt (create the new shape, copy,
/// drop the old, rename; sqlite.org's "other kinds of table schema changes"), in one
/// transaction. Nothing references `deliveries`, so dropping it with foreign keys on deletes
/// nothing elsewhere, and the copy satisfies the new keys as it satisfied the old.
async fn rebuild_on_sqlite(manager: &SchemaManager<'_>, to: SubscriberRef) -> Result<(), DbErr> {
    let backend = DbBackend::Sqlite;
    let txn = manager.begin().await?;
    txn.create_table(
        Table::create()
            .table(DeliveriesRebuilt::Table)
            .col(id(Deliveries::Id))
            .col(ColumnDef::new(Deliveries::ItemId).big_integer().not_null())
            .col(to.column(true))
            .col(ColumnDef::new(Deliveries::State).string_len(16).not_null())
            .col(ColumnDef::new(Deliveries::LastError).text().null())
            .col(timestamp(backend, Deliveries::CreatedAt).not_null())
            .col(timestamp(backend, Deliveries::UpdatedAt).not_null())
            .foreign_key(
                ForeignKey::create()
                    .from(DeliveriesRebuilt::Table, Deliveries::ItemId)
                    .to(Items::Table, Items::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name(FK_NAME)
                    .from(DeliveriesRebuilt::Table, Deliveries::SubscriberId)
                    .to(Subscribers::Table, Subscribers::Id)
                    .on_delete(to.action()),
            )
            .take(),
    )
    .await?;
    let columns = [
        Deliveries::Id,
        Deliveries::ItemId,
        Deliveries::SubscriberId,
        Deliveries::State,
        Deliveries::LastError,
        Deliveries::CreatedAt,
        Deliveries::UpdatedAt,
    ];
    txn.execute(
        Query::insert()
            .into_table(DeliveriesRebuilt::Table)
            .columns(columns)
            .select_from(Query::select().columns(columns).from(Deliveries::Table).take())
            .map_err(|err| DbErr::Migration(err.to_string()))?
            .take(),
    )
    .await?;
    // The id sequence carries over, so the id of a delivery deleted with its item is never
    // handed out again (send_notifications jobs name deliveries by id range).
    let conn = txn.get_connection();
    let sequence = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "seq"))
        .transpose()?;
    txn.drop_table(Table::drop().table(Deliveries::Table).take())
        .await?;
    txn.rename_table(
        Table::rename()
            .table(DeliveriesRebuilt::Table, Deliveries::Table)
            .take(),
    )
    .await?;
    if let Some(seq) = sequence {
        for sql in [
            "DELETE FROM sqlite_sequence WHERE name = 'deliveries'".to_owned(),
            format!("INSERT INTO sqlite_sequence (name, seq) VALUES ('deliveries', {seq})"),
        ] {
            conn.execute_raw(Statement::from_string(backend, sql)).await?;
        }
    }
    // The indexes went with the old table (m0002's names and columns).
    txn.create_index(
        Index::create()
            .name("idx_deliveries_item_subscriber")
            .table(Deliveries::Table)
            .col(Deliveries::ItemId)
            .col(Deliveries::SubscriberId)
            .unique()
            .take(),
    )
    .await?;
    txn.create_index(
        Index::create()
            .name("idx_deliveries_subscriber")
            .table(Deliveries::Table)
            .col(Deliveries::SubscriberId)
            .take(),
    )
    .await?;
    txn.commit().await
}
