//! Column types that differ per backend, chosen once here.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// A UTC timestamp: `timestamptz` on PostgreSQL, `DATETIME(6)` on MySQL (its `TIMESTAMP` ends
/// in 2038), text on SQLite.
pub fn timestamp(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => col.custom("DATETIME(6)"),
        _ => col.timestamp_with_time_zone(),
    };
    col
}

/// Text that must hold well over 64 KB: MySQL's `TEXT` stops at 64 KB, so it gets `MEDIUMTEXT`.
pub fn long_text(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => col.custom("MEDIUMTEXT"),
        _ => col.text(),
    };
    col
}

/// A 64-bit auto-increment primary key (SQLite turns it into its `INTEGER PRIMARY KEY`).
pub fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}
