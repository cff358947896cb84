//! Opening the connection pool, with the per-backend settings that matter in production.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Which database family a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    /// Reads the backend from a database URL's scheme; `None` for anything unsupported.
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            _ => None,
        }
    }
}

/// The most connections a SQLite pool opens, whatever the configuration says. Each one is a
/// thread with its own page cache, and SQLite has one writer at a time anyway: beyond a few,
/// more connections only cost memory.
pub const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Connects to `url`. SQLite gets WAL, a busy timeout and foreign keys, so concurrent requests
/// wait for the writer instead of failing with "database is locked".
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let max_connections = match Backend::from_url(url) {
        Some(Backend::Sqlite) => max_connections.min(SQLITE_MAX_CONNECTIONS),
        _ => max_connections,
    };
    // sqlx speaks `mysql://`; accept the `mariadb://` spelling people also use.
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_owned(),
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
/// at the start, waiting out the busy timeout if another connection holds it. A deferred
/// transaction that reads first can't upgrade its lock once another connection has written
/// since its read, and SQLite then fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT)
/// instead of waiting. Other backends begin as usual.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
