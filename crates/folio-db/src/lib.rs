//! Folio's data layer: SeaORM entities, the queries the web layer runs, and the migrations.
//!
//! One code path serves SQLite (the embedded default), PostgreSQL and MySQL/MariaDB. Every query
//! that touches user data takes the owner's id, so an ownership check can't be forgotten by a
//! caller: a row that belongs to someone else simply isn't found.

pub mod app_role;
pub mod backup;
pub mod connect;
pub mod entities;
#[cfg(feature = "aws")]
pub mod iam_auth;
pub mod lookalike;
pub mod migrations;
pub mod queries;

pub use connect::{
    Backend, DatabaseAuth, PoolStats, begin_write, connect, connect_with, is_unreachable, pool_stats,
    replace_password,
};
pub use migrations::Migrator;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};
pub use sea_orm_migration::MigratorTrait;
