//! A fresh database per test, per backend.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

pub use folio_db::Backend;

/// The variable naming a backend's server admin URL (`None` for SQLite, which needs no server).
pub fn url_variable(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("FOLIO_TEST_POSTGRES_URL"),
        Backend::MySql => Some("FOLIO_TEST_MYSQL_URL"),
    }
}

/// A fresh, empty database on one backend (never migrated), dropped by [`TestDatabase::drop_database`]:
/// what restore tests restore into.
pub struct TestDatabase {
    backend: Backend,
    url: String,
    /// For servers: the admin URL and the database name to drop at the end.
    server: Option<(String, String)>,
    /// For SQLite: the directory holding the file, removed with the value.
    _dir: Option<tempfile::TempDir>,
}

/// Replaces the database name (the URL's path) of a server URL.
fn with_database(url: &str, name: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let host_end = without_query[scheme_end..]
        .find('/')
        .map_or(without_query.len(), |i| scheme_end + i);
    let mut result = format!("{}/{name}", &without_query[..host_end]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

impl TestDatabase {
    /// `None` (after saying why) when `backend` is not configured here.
    pub async fn create(backend: Backend) -> Option<Self> {
        let Some(variable) = url_variable(backend) else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/folio.db?mode=rwc", dir.path().display());
            return Some(Self {
                backend,
                url,
                server: None,
                _dir: Some(dir),
            });
        };
        let admin_url = match std::env::var(variable) {
            Ok(url) if !url.is_empty() => url,
            _ => return crate::skip_unless_ci(&format!("{backend:?}"), &format!("{variable} is not set")),
        };
        let name = format!("folio_t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|err| panic!("{variable}: cannot connect: {err}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.ok();
        Some(Self {
            backend,
            url: with_database(&admin_url, &name),
            server: Some((admin_url, name)),
            _dir: None,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn drop_database(&self) {
        let Some((admin_url, name)) = &self.server else {
            return;
        };
        let Ok(admin) = Database::connect(admin_url).await else {
            return;
        };
        let statement = match self.backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {name}"),
        };
        if let Err(err) = admin.execute_unprepared(&statement).await {
            eprintln!("warning: could not drop test database {name}: {err}");
        }
        admin.close().await.ok();
    }
}

pub(crate) async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    assert!(
        table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "table name"
    );
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "x"),
            "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
