//! Opening the connection pool, with the per-backend settings that matter in production.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
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

/// How the pool proves who it is to a PostgreSQL or MySQL server.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum DatabaseAuth {
    /// Whatever the URL carries: a password in it, or none (trust, peer, a Unix socket).
    #[default]
    Url,
    /// This password, kept out of the URL: the platform injects it from a secret on its own,
    /// so it never has to be spliced (and percent-encoded) into a URL.
    Password(String),
    /// AWS IAM database authentication: each new connection presents a token signed with the
    /// AWS credentials (the ECS task role), renewed before it expires. No password exists.
    /// Needs the `aws` feature.
    AwsIam,
}

impl std::fmt::Debug for DatabaseAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Url => "Url",
            Self::Password(_) => "Password(<redacted>)",
            Self::AwsIam => "AwsIam",
        })
    }
}

/// Connects to `url` with the credentials it carries. SQLite gets WAL, a busy timeout and
/// foreign keys, so concurrent requests wait for the writer instead of failing with "database
/// is locked".
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, &DatabaseAuth::Url).await
}

/// Connects to `url`, authenticating as `auth` says.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    auth: &DatabaseAuth,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = pool_options(url, max_connections);
    match auth {
        DatabaseAuth::Url => {}
        DatabaseAuth::Password(password) => set_password(&mut options, password),
        DatabaseAuth::AwsIam => return connect_with_iam(options, url).await,
    }
    Database::connect(options).await
}

/// Boxed: the AWS credential chain's futures are deep, and inlined into every caller's async
/// state they pushed the release build of `folio` past the compiler's type-layout depth limit
/// ("queries overflow the depth limit" in `commands::run`).
#[cfg(feature = "aws")]
async fn connect_with_iam(options: ConnectOptions, url: &str) -> Result<DatabaseConnection, DbErr> {
    let connecting: std::pin::Pin<Box<dyn Future<Output = Result<DatabaseConnection, DbErr>> + Send + '_>> =
        Box::pin(crate::iam_auth::connect(options, url));
    connecting.await
}

#[cfg(not(feature = "aws"))]
async fn connect_with_iam(_: ConnectOptions, _: &str) -> Result<DatabaseConnection, DbErr> {
    Err(DbErr::Custom(
        "IAM database authentication needs a binary built with --features aws".into(),
    ))
}

fn pool_options(url: &str, max_connections: u32) -> ConnectOptions {
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
    options
}

/// The password the pool's connections will log in with, in place of the URL's.
pub(crate) fn set_password(options: &mut ConnectOptions, password: &str) {
    let (pg, my) = (password.to_owned(), password.to_owned());
    options
        .map_sqlx_postgres_opts(move |opts| opts.password(&pg))
        .map_sqlx_mysql_opts(move |opts| opts.password(&my));
}

/// Changes the password the pool's *next* connections log in with; open ones stay as they
/// are (a server checks credentials only when a connection opens). SQLite has none.
pub fn replace_password(db: &DatabaseConnection, password: &str) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            pool.set_connect_options((*pool.connect_options()).clone().password(password));
        }
        DbBackend::MySql => {
            let pool = db.get_mysql_connection_pool();
            pool.set_connect_options((*pool.connect_options()).clone().password(password));
        }
        _ => {}
    }
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

/// The pool's occupancy at one moment, for the metrics exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections lent out to a query or transaction right now.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pool will open.
    pub max: u32,
}

/// How full `db`'s pool is; `None` for a connection that is not an sqlx pool (disconnected).
/// sqlx counts open and idle connections but not the tasks queued in `acquire`, so waits are
/// not available here: `in_use == max` is the sign that callers are waiting.
pub fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    use sea_orm::DatabaseConnectionType as Inner;
    // Matched on first: the `get_*_connection_pool` accessors panic on any other variant.
    let (size, idle, max) = match &db.inner {
        Inner::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        Inner::SqlxMySqlPoolConnection(_) => {
            let pool = db.get_mysql_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        Inner::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        _ => return None,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    Some(PoolStats {
        in_use: size - idle,
        idle,
        max,
    })
}

/// Whether `err` says the database could not be reached (down, restarting, the connection cut)
/// rather than that a statement was wrong: the web edge answers 503 with `Retry-After`, since
/// trying again in a moment is the right thing to do, and a 500 would say Folio is broken.
pub fn is_unreachable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            sqlx_unreachable(err)
        }
        _ => false,
    }
}

fn sqlx_unreachable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        // PostgreSQL's class 57P (the server is shutting down or starting) and class 08
        // (connection exceptions): what a restart looks like to a connection that was open.
        Error::Database(err) => err
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::sqlx;
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

    use super::is_unreachable;

    fn sqlx_error(err: sqlx::Error) -> RuntimeErr {
        RuntimeErr::SqlxError(Arc::new(err))
    }

    #[test]
    fn a_lost_connection_is_unreachable() {
        let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_unreachable(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(is_unreachable(&DbErr::ConnectionAcquire(
            ConnAcquireErr::ConnectionClosed
        )));
        assert!(is_unreachable(&DbErr::Exec(sqlx_error(sqlx::Error::Io(reset())))));
        assert!(is_unreachable(&DbErr::Query(sqlx_error(
            sqlx::Error::PoolTimedOut
        ))));
        assert!(is_unreachable(&DbErr::Conn(sqlx_error(sqlx::Error::Io(reset())))));
    }

    #[test]
    fn a_wrong_statement_is_not() {
        assert!(!is_unreachable(&DbErr::RecordNotFound("note".into())));
        assert!(!is_unreachable(&DbErr::Query(sqlx_error(
            sqlx::Error::RowNotFound
        ))));
        assert!(!is_unreachable(&DbErr::Exec(sqlx_error(sqlx::Error::Protocol(
            "bad".into()
        )))));
    }
}
