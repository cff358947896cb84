//! TestApp: Folio started on a random port against a fresh database per test, for each
//! backend, plus `Visitor`s (browsers with their own cookie jars) to drive it over HTTP.
//!
//! SQLite always runs. PostgreSQL and MySQL/MariaDB run when `FOLIO_TEST_POSTGRES_URL` /
//! `FOLIO_TEST_MYSQL_URL` name a server whose user may create databases; each test gets its
//! own database, dropped at the end. A test skipped for a missing URL says so on stderr; with
//! `CI=true` a missing URL fails the test instead, so CI can't silently skip a backend.

// Test support: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod content;
mod database;
pub mod fixtures;
mod mail;
mod moto;
mod redis;
mod s3;
mod smtp;
mod sns;
mod staff;
mod visitor;

use std::sync::Arc;
use std::time::Duration;

pub use folio::wiring::build_app;
use folio::wiring::{build_app_on, job_worker};
use folio_web::{AppConfig, SecretKey, WorkerMode};
use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, oneshot};

pub use database::{Backend, TestDatabase};
pub use mail::{Mail, quoted_printable_decode};
pub use moto::{MOTO_ACCESS_KEY, MOTO_SECRET_KEY, MotoServer};
pub use redis::RedisServer;
pub use s3::S3Server;
pub use smtp::SmtpSink;
pub use sns::{SnsEnvelope, SnsSigner};
pub use staff::NewItem;
pub use visitor::{PASSWORD, Page, Visitor, csrf_token};

/// A running Folio for one test. Cheap to clone; `finish` stops it and drops its database.
#[derive(Clone)]
pub struct TestApp {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    base_url: String,
    db: DatabaseConnection,
    mail_dir: tempfile::TempDir,
    media_dir: tempfile::TempDir,
    /// `None` for a second instance ([`TestApp::another_instance`]): the first one owns it.
    database: Option<database::TestDatabase>,
    /// What the app was started with, so a second instance can be started the same way.
    config: AppConfig,
    worker: folio_jobs::Worker,
    state: folio_web::state::AppState,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
}

/// A configuration for tests: port 0, mail to a temporary directory, short timeouts.
pub fn test_config(
    database_url: String,
    mail_dir: &std::path::Path,
    media_dir: &std::path::Path,
) -> AppConfig {
    AppConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        base_url: "http://127.0.0.1".into(),
        database_url,
        secret_key: SecretKey::new(vec![7u8; 64]).unwrap(),
        email_url: format!("file://{}", mail_dir.display()),
        email_from: "Folio <folio@example.org>".into(),
        storage_url: format!("file://{}", media_dir.display()),
        media_base_url: None,
        privacy_mode: false,
        auto_migrate: true,
        shutdown_grace: Duration::from_secs(5),
        drain: Duration::ZERO,
        request_timeout: Duration::from_secs(30),
        connections: folio_web::connections::ConnectionLimits::default(),
        database_auth: folio_db::DatabaseAuth::Url,
        database_max_connections: 5,
        // Tests run jobs themselves (`TestApp::run_jobs`), so each one sees a settled queue.
        worker: WorkerMode::Off,
        worker_concurrency: 1,
        email_rate: None,
        trusted_proxy_hops: 0,
        ses_topic_arns: Vec::new(),
        sns_cert_host: None,
        site: folio_jobs::SiteInfo::default(),
        cache_url: folio_web::cluster::CacheUrl::Memory,
        // Tests share one Redis: each app (and its second instances) keeps to its own keys.
        cache_prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
        rate_limits: test_rate_limits(),
        quotas: folio_web::security::quotas::Quotas::default(),
        metrics_listen: None,
        // The app's build is only served when a test builds one (none of these do).
        web_dist: std::env::temp_dir().join("folio-test-no-web-dist"),
    }
}

/// Production's limits on the contact and subscription forms (their tests count on them), and
/// a hundred times production's on the account forms, so that tests may sign up and sign in
/// many times from 127.0.0.1. The tests of those limits start their app with
/// `RateLimits::default()` (see [`run_cache_test`]).
fn test_rate_limits() -> folio_web::security::rate_limit::RateLimits {
    use folio_web::security::rate_limit::RateLimits;
    let production = RateLimits::default();
    RateLimits {
        contact: production.contact,
        subscribe: production.subscribe,
        ..RateLimits::relaxed(100)
    }
}

/// Where a test app keeps what instances share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// `memory://`: sessions in the database, caches and limits in process.
    Memory,
    /// The Redis named by `FOLIO_TEST_REDIS_URL`.
    Redis,
}

/// The Redis URL for tests, or `None` (after saying so) when it is not set; with `CI=true` a
/// missing URL fails instead, so CI can't skip Redis quietly.
pub fn test_redis_url() -> Option<String> {
    match std::env::var("FOLIO_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => skip_unless_ci("Redis", "FOLIO_TEST_REDIS_URL is not set"),
    }
}

/// A backend a test needs is missing here: with `CI=true` the test fails (CI must run every
/// backend), otherwise it is skipped and says so on stderr (`.ci/run` looks for "SKIPPED").
pub(crate) fn skip_unless_ci<T>(backend: &str, why: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{why}, and CI must run the tests on {backend}");
    }
    eprintln!("SKIPPED on {backend}: {why}");
    None
}

/// Points `config` at `cache`; `None` when that cache is not available here.
pub fn use_cache(config: &mut AppConfig, cache: Cache) -> Option<()> {
    config.cache_url = match cache {
        Cache::Memory => folio_web::cluster::CacheUrl::Memory,
        Cache::Redis => {
            folio_web::cluster::CacheUrl::parse(&test_redis_url()?).expect("FOLIO_TEST_REDIS_URL")
        }
    };
    Some(())
}

impl TestApp {
    /// Starts the app on `backend`, or returns `None` (after saying why) when that backend is
    /// not configured on this machine.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the configuration first.
    pub async fn spawn_with(backend: Backend, customise: impl FnOnce(&mut AppConfig)) -> Option<Self> {
        Self::start(backend, customise, None).await
    }

    /// Starts the app on `backend`, sharing what instances share through `cache`; `None` when
    /// the backend or the cache is not configured here.
    pub async fn spawn_with_cache(
        backend: Backend,
        cache: Cache,
        customise: impl FnOnce(&mut AppConfig),
    ) -> Option<Self> {
        if cache == Cache::Redis {
            test_redis_url()?;
        }
        Self::spawn_with(backend, |config| {
            use_cache(config, cache);
            customise(config);
        })
        .await
    }

    /// A second instance of this app: the same configuration, database and cache, its own port
    /// and in-process caches, as a second web task behind a load balancer.
    pub async fn another_instance(&self) -> Self {
        let config = self.inner.config.clone();
        let storage = self.state().storage.clone();
        let mail_dir = tempfile::tempdir().unwrap();
        let media_dir = tempfile::tempdir().unwrap();
        let app = build_app_on(config.clone(), storage)
            .await
            .expect("the second instance should start");
        Self::running(app, config, self.inner.backend, None, mail_dir, media_dir)
    }

    /// Starts the app on `backend` with `storage` instead of a local media directory.
    pub async fn spawn_on(backend: Backend, storage: folio_storage::Storage) -> Option<Self> {
        Self::start(backend, |_| {}, Some(storage)).await
    }

    async fn start(
        backend: Backend,
        customise: impl FnOnce(&mut AppConfig),
        storage: Option<folio_storage::Storage>,
    ) -> Option<Self> {
        init_logging();
        let database = database::TestDatabase::create(backend).await?;
        let mail_dir = tempfile::tempdir().unwrap();
        let media_dir = tempfile::tempdir().unwrap();
        let mut config = test_config(database.url().to_owned(), mail_dir.path(), media_dir.path());
        customise(&mut config);
        let app = match storage {
            Some(storage) => build_app_on(config.clone(), storage).await,
            None => build_app(config.clone()).await,
        }
        .expect("the app should start");
        Some(Self::running(
            app,
            config,
            backend,
            Some(database),
            mail_dir,
            media_dir,
        ))
    }

    /// Runs `app` in the background and wraps it.
    fn running(
        app: folio_web::App,
        config: AppConfig,
        backend: Backend,
        database: Option<database::TestDatabase>,
        mail_dir: tempfile::TempDir,
        media_dir: tempfile::TempDir,
    ) -> Self {
        let addr = app.local_addr().unwrap();
        let db = app.db.clone();
        let state = app.state.clone();
        let worker = job_worker(
            &config,
            db.clone(),
            state.mailer.clone(),
            state.storage.clone(),
            state.cluster.clone(),
        );
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Self {
            inner: Arc::new(Inner {
                backend,
                base_url: format!("http://{addr}"),
                db,
                mail_dir,
                media_dir,
                database,
                config,
                worker,
                state,
                shutdown: Mutex::new(Some(tx)),
                server: Mutex::new(Some(server)),
            }),
        }
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The URL of the app's database.
    pub fn database_url(&self) -> &str {
        &self.inner.config.database_url
    }

    /// The app's database, for assertions about what was (not) stored.
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// A new browser with an empty cookie jar.
    pub fn visitor(&self) -> Visitor {
        Visitor::new(self.base_url())
    }

    /// A new browser that a proxy names as `ip` (see [`Visitor::behind_proxy`]; the app needs
    /// `trusted_proxy_hops = 1`).
    pub fn visitor_from(&self, ip: std::net::IpAddr) -> Visitor {
        Visitor::behind_proxy(self.base_url(), ip)
    }

    /// POSTs `body` to `/hooks/ses` as SNS does (text/plain JSON, no cookies, no Origin);
    /// returns the status.
    pub async fn deliver_sns(&self, body: String) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/hooks/ses", self.base_url()))
            .header("content-type", "text/plain; charset=UTF-8")
            .header("x-amz-sns-message-type", "Notification")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Runs every job that is due, as a worker would, and returns how many ran.
    pub async fn run_jobs(&self) -> usize {
        self.inner
            .worker
            .drain()
            .await
            .expect("the job queue should be readable")
    }

    /// A worker on this app's database and mail, for tests that drive the queue themselves.
    pub fn worker(&self) -> &folio_jobs::Worker {
        &self.inner.worker
    }

    /// A job context on this app's database, mail and storage, for callers that build their
    /// own worker (benchmarks, queue tests).
    pub fn worker_context(&self) -> folio_jobs::JobContext {
        folio_jobs::JobContext {
            db: self.db().clone(),
            mailer: self.state().mailer.clone(),
            base_url: self.base_url().to_owned(),
            email_rate: Arc::new(folio_jobs::RateLimiter::new(None)),
            storage: self.state().storage.clone(),
            site: Arc::new(self.state().settings.site.as_ref().clone()),
            site_changed: folio_jobs::SiteChanged::default(),
        }
    }

    /// The app's shared state (caches, view counters).
    pub fn state(&self) -> &folio_web::state::AppState {
        &self.inner.state
    }

    /// Runs the due jobs, then returns the emails written so far, oldest first.
    pub async fn mails(&self) -> Vec<Mail> {
        self.run_jobs().await;
        mail::read_dir(self.inner.mail_dir.path())
    }

    /// The local media directory (unless the test configured other storage).
    pub fn media_dir(&self) -> &std::path::Path {
        self.inner.media_dir.path()
    }

    /// Every file under the media directory, as paths relative to it, sorted.
    pub fn media_files(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![self.media_dir().to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path.strip_prefix(self.media_dir()).unwrap();
                    found.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        found
    }

    /// Counts the rows of `table` (tests check that a refused request changed nothing).
    pub async fn count(&self, table: &str) -> i64 {
        database::count(&self.inner.db, table).await
    }

    /// Jobs still to run, `queued` or `running`. A job that succeeded is kept (as `succeeded`,
    /// until a worker's prune), so counting the rows of `jobs` no longer tells what is left.
    pub async fn pending_jobs(&self) -> i64 {
        let depth = self.job_counts().await;
        depth.queued + depth.running
    }

    /// Jobs that failed for good (they stay until staff retry or delete them).
    pub async fn failed_jobs(&self) -> i64 {
        self.job_counts().await.failed
    }

    /// Jobs per state.
    pub async fn job_counts(&self) -> folio_db::queries::jobs::QueueDepth {
        folio_db::queries::jobs::QueueDepth::read(self.db())
            .await
            .expect("the job queue should be readable")
    }

    /// The configuration the app runs with.
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// Sends the server its shutdown signal (as SIGTERM does) without waiting for it to stop;
    /// `finish` then waits.
    pub async fn signal_shutdown(&self) {
        if let Some(tx) = self.inner.shutdown.lock().await.take() {
            let _ = tx.send(());
        }
    }

    /// Stops the server (gracefully) and drops the test database.
    pub async fn finish(&self) {
        if let Some(tx) = self.inner.shutdown.lock().await.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.inner.server.lock().await.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(database) = &self.inner.database {
            database.drop_database().await;
        }
    }
}

/// A whole-number setting of a benchmark driver from the environment, or `default`.
pub fn bench_setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {value:?}")),
        Err(_) => default,
    }
}

/// With `FOLIO_TEST_LOG` set (e.g. `debug`), the app's logs go to the test output.
fn init_logging() {
    if let Ok(filter) = std::env::var("FOLIO_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

/// Runs one test body against a fresh app on `backend` (used by [`backend_tests!`]).
pub async fn run_test<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let handle = app.clone();
    test(app).await;
    handle.finish().await;
}

/// Runs one test body against a fresh app on SQLite with `cache` and production's rate limits
/// (used by [`cache_tests!`]).
pub async fn run_cache_test<F, Fut>(cache: Cache, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let production_limits = |config: &mut AppConfig| config.rate_limits = Default::default();
    let Some(app) = TestApp::spawn_with_cache(Backend::Sqlite, cache, production_limits).await else {
        return;
    };
    let handle = app.clone();
    test(app).await;
    handle.finish().await;
}

/// Declares each named `async fn(TestApp)` as one test per cache, in modules `memory_cache`
/// and `redis_cache`, so sessions, page caching and rate limits are proven on both.
#[macro_export]
macro_rules! cache_tests {
    ($($name:ident),+ $(,)?) => {
        $crate::cache_tests!(@cache memory_cache, $crate::Cache::Memory, $($name),+);
        $crate::cache_tests!(@cache redis_cache, $crate::Cache::Redis, $($name),+);
    };
    (@cache $module:ident, $cache:expr, $($name:ident),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run_cache_test($cache, super::$name).await;
                }
            )+
        }
    };
}

/// Declares each named `async fn(TestApp)` as one test per backend, in modules `sqlite`,
/// `postgres` and `mysql`, so the same test runs everywhere.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        $crate::backend_tests!(@backend sqlite, $crate::Backend::Sqlite, $($name),+);
        $crate::backend_tests!(@backend postgres, $crate::Backend::Postgres, $($name),+);
        $crate::backend_tests!(@backend mysql, $crate::Backend::MySql, $($name),+);
    };
    (@backend $module:ident, $backend:expr, $($name:ident),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::run_test($backend, super::$name).await;
                }
            )+
        }
    };
}
