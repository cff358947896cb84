//! The database side of `folio backup` and `folio restore`: reading every table from one
//! consistent snapshot, checking that a target holds no Folio rows, writing rows back, and
//! setting identity sequences after explicit ids were inserted.
//!
//! Rows travel as the entity [`Model`](sea_orm::EntityTrait::Model)s serialized with serde
//! (one JSON object per row), never as raw SQL values: a boolean, a timestamp or an id then
//! reads back the same way whatever backend wrote it and whatever backend reads it, which is
//! what lets a SQLite backup be restored into PostgreSQL or MariaDB.
//!
//! `seaql_migrations` is not a table here: the archive records the applied migrations by
//! name, and restore migrates the target itself.

use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IntoActiveModel, IsolationLevel, Iterable, PrimaryKeyToColumn, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait, Value,
};
use sea_orm::{ActiveModelBehavior, ActiveModelTrait, ModelTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::entities::{
    api_token, audit_entry, category, contact_message, delivery, email_suppression, image, item, job, note,
    pad, password_reset, session, subscriber, user,
};

/// Runs `$body` with `$entity` standing for the entity type of `$table`: one place maps the
/// enum to the typed entities, so every operation below is written once, generically.
macro_rules! with_entity {
    ($table:expr, $entity:ident => $body:expr) => {
        match $table {
            Table::Users => {
                type $entity = user::Entity;
                $body
            }
            Table::Pads => {
                type $entity = pad::Entity;
                $body
            }
            Table::Notes => {
                type $entity = note::Entity;
                $body
            }
            Table::Sessions => {
                type $entity = session::Entity;
                $body
            }
            Table::PasswordResets => {
                type $entity = password_reset::Entity;
                $body
            }
            Table::ApiTokens => {
                type $entity = api_token::Entity;
                $body
            }
            Table::Categories => {
                type $entity = category::Entity;
                $body
            }
            Table::Items => {
                type $entity = item::Entity;
                $body
            }
            Table::Images => {
                type $entity = image::Entity;
                $body
            }
            Table::Subscribers => {
                type $entity = subscriber::Entity;
                $body
            }
            Table::Deliveries => {
                type $entity = delivery::Entity;
                $body
            }
            Table::Jobs => {
                type $entity = job::Entity;
                $body
            }
            Table::AuditLog => {
                type $entity = audit_entry::Entity;
                $body
            }
            Table::ContactMessages => {
                type $entity = contact_message::Entity;
                $body
            }
            Table::EmailSuppressions => {
                type $entity = email_suppression::Entity;
                $body
            }
        }
    };
}

/// Every Folio table, parents before children, so that inserting in this order never breaks a
/// foreign key (notes after pads and users, deliveries after items and subscribers, ...).
/// A test compares this list with the tables the migrations create, so a new table can't be
/// left out of backups unnoticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Users,
    Pads,
    Notes,
    Sessions,
    PasswordResets,
    ApiTokens,
    Categories,
    Items,
    Images,
    Subscribers,
    Deliveries,
    Jobs,
    AuditLog,
    ContactMessages,
    EmailSuppressions,
}

impl Table {
    /// In foreign-key order (see [`Table`]).
    pub const ALL: [Table; 15] = [
        Table::Users,
        Table::Pads,
        Table::Notes,
        Table::Sessions,
        Table::PasswordResets,
        Table::ApiTokens,
        Table::Categories,
        Table::Items,
        Table::Images,
        Table::Subscribers,
        Table::Deliveries,
        Table::Jobs,
        Table::AuditLog,
        Table::ContactMessages,
        Table::EmailSuppressions,
    ];

    /// The SQL table name (also the name of its file in an archive).
    pub fn name(self) -> &'static str {
        with_entity!(self, E => entity_name::<E>())
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.name() == name)
    }
}

fn entity_name<E: EntityTrait + Default>() -> &'static str {
    sea_orm::EntityName::table_name(&E::default())
}

/// Rows read per query while exporting: bounded memory for any table size.
pub const EXPORT_PAGE: u64 = 500;

/// Rows per INSERT while restoring: the widest table (items) has 14 columns, so a batch binds
/// at most 2,800 parameters, well under SQLite's 32,766 and the 65,535 of the servers.
pub const IMPORT_BATCH: usize = 200;

/// A read-only transaction that sees one consistent state of the whole database, for as long
/// as it is open, while writers go on:
///
/// - PostgreSQL: `REPEATABLE READ READ ONLY`: one snapshot for every statement in it.
/// - MySQL/MariaDB: `REPEATABLE READ` + `READ ONLY` (InnoDB): the snapshot is taken at the
///   first read and every later read sees it, which is what `WITH CONSISTENT SNAPSHOT` would
///   give (that clause only moves the moment to `START TRANSACTION`; our first statement is
///   already a read of the first table).
/// - SQLite: a deferred transaction; in WAL mode (Folio's connections always use it) the
///   first read pins a snapshot and writers keep committing to the log meanwhile.
///
/// None of them takes a lock that blocks writers.
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => db.begin().await,
        _ => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
                .await
        }
    }
}

/// Calls `on_row` with each row of `table` as one line of JSON (the typed model serialized),
/// in primary-key order, reading [`EXPORT_PAGE`] rows at a time by key (not by offset, so
/// each page costs the same however deep it is).
pub async fn export_table<C, F, E>(db: &C, table: Table, on_row: F) -> Result<u64, ExportError<E>>
where
    C: ConnectionTrait,
    F: FnMut(String) -> Result<(), E>,
{
    with_entity!(table, T => export_rows::<T, C, F, E>(db, on_row).await)
}

/// Why an export stopped: the database, a row that would not serialize, or the caller.
#[derive(Debug, thiserror::Error)]
pub enum ExportError<E> {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("a row would not serialize: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error(transparent)]
    Sink(E),
}

async fn export_rows<T, C, F, E>(db: &C, mut on_row: F) -> Result<u64, ExportError<E>>
where
    T: EntityTrait,
    T::Model: Serialize,
    C: ConnectionTrait,
    F: FnMut(String) -> Result<(), E>,
{
    let key = single_key_column::<T>()?;
    let mut after: Option<Value> = None;
    let mut rows = 0u64;
    loop {
        let mut query = T::find().order_by_asc(key);
        if let Some(last) = after.take() {
            query = query.filter(key.gt(last));
        }
        let page = query.limit(EXPORT_PAGE).all(db).await?;
        let full = page.len() as u64 == EXPORT_PAGE;
        after = page.last().map(|row| row.get(key));
        for row in page {
            on_row(serde_json::to_string(&row)?).map_err(ExportError::Sink)?;
            rows += 1;
        }
        if !full {
            return Ok(rows);
        }
    }
}

/// Every Folio table has a one-column primary key; a composite one would need its own paging.
fn single_key_column<T: EntityTrait>() -> Result<T::Column, DbErr> {
    let mut keys = T::PrimaryKey::iter();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key.into_column()),
        _ => Err(DbErr::Custom("backup pages by a one-column primary key".into())),
    }
}

/// Checks that `line` is a row of `table` as this version of Folio knows it (every column
/// present with the right type), without writing anything: restore runs it over the whole
/// archive before it touches the target.
pub fn check_row(table: Table, line: &str) -> Result<(), serde_json::Error> {
    with_entity!(table, T => serde_json::from_str::<<T as EntityTrait>::Model>(line).map(drop))
}

/// Inserts `lines` (rows of `table` as [`export_table`] wrote them) with their ids, in
/// batches of [`IMPORT_BATCH`]. Run it inside the restore's transaction.
pub async fn import_rows<C: ConnectionTrait>(
    db: &C,
    table: Table,
    lines: &[String],
) -> Result<(), ImportError> {
    with_entity!(table, T => insert_rows::<T, C>(db, lines).await)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("a row does not match this version's schema: {0}")]
    Row(#[from] serde_json::Error),
}

async fn insert_rows<T, C>(db: &C, lines: &[String]) -> Result<(), ImportError>
where
    T: EntityTrait,
    T::Model: DeserializeOwned + IntoActiveModel<T::ActiveModel>,
    T::ActiveModel: ActiveModelTrait<Entity = T> + ActiveModelBehavior + Send,
    C: ConnectionTrait,
{
    for batch in lines.chunks(IMPORT_BATCH) {
        let models = batch
            .iter()
            .map(|line| {
                // Every column Set (ids included): the rows keep their ids, so references
                // between tables and the ids in URLs (`/notes/<id>/`) stay what they were.
                serde_json::from_str::<T::Model>(line).map(|model| model.into_active_model().reset_all())
            })
            .collect::<Result<Vec<_>, _>>()?;
        T::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The Folio tables that exist in `db` and hold at least one row (an empty list: safe to
/// restore into). A table that doesn't exist yet (a database never migrated) counts as empty.
pub async fn tables_with_rows<C: ConnectionTrait>(db: &C) -> Result<Vec<Table>, DbErr> {
    let existing = existing_tables(db).await?;
    let mut filled = Vec::new();
    for table in Table::ALL {
        if !existing.iter().any(|name| name == table.name()) {
            continue;
        }
        let any = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT 1 AS one FROM {} LIMIT 1", table.name()),
            ))
            .await?;
        if any.is_some() {
            filled.push(table);
        }
    }
    Ok(filled)
}

/// The names of the tables in the connection's database (schema `current_schema()` on
/// PostgreSQL, the connection's database on MySQL).
pub async fn existing_tables<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        DbBackend::MySql => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter()
        .map(|row| {
            // MySQL's information_schema answers in upper case column names, hence by index.
            row.try_get_by_index::<String>(0)
        })
        .collect()
}

/// After rows were inserted with explicit ids, the next generated id must come after them.
///
/// - PostgreSQL: identity/serial sequences don't see explicit ids, so each is set to the
///   table's largest id (`setval`; an empty table's sequence starts at 1 again).
/// - MySQL/MariaDB (InnoDB): an explicit id above the counter moves the counter; nothing to do.
/// - SQLite: a new rowid is the largest one plus one; nothing to do.
pub async fn fix_sequences<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in Table::ALL {
        if table == Table::Sessions {
            // Its key is a random string, not a sequence.
            continue;
        }
        let name = table.name();
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{name}', 'id'), \
             COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
        );
        db.execute_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
    }
    Ok(())
}

/// The rows of `table` in key order, as typed models turned back into JSON lines: what tests
/// compare between a source and its restored copy.
pub async fn rows_as_json<C: ConnectionTrait>(db: &C, table: Table) -> Result<Vec<String>, DbErr> {
    let mut lines = Vec::new();
    export_table(db, table, |line| {
        lines.push(line);
        Ok::<(), std::convert::Infallible>(())
    })
    .await
    .map_err(|err| match err {
        ExportError::Db(err) => err,
        other => DbErr::Custom(other.to_string()),
    })?;
    Ok(lines)
}

/// The names of the migrations this binary knows, in order: an archive records the ones its
/// source had applied, and a restore accepts it when they are a prefix of these.
pub fn known_migrations() -> Vec<String> {
    use sea_orm_migration::MigratorTrait;
    crate::Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect()
}

/// The migrations applied to `db`, in order (read inside the snapshot, so they describe the
/// rows read with them).
pub async fn applied_migrations<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.iter().map(|row| row.try_get_by_index::<String>(0)).collect()
}
