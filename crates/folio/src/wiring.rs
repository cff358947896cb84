//! Connecting Folio's parts: the database (with its schema checked or migrated), storage, the
//! mailer and the job worker, handed to [`App::build`]; and the shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use folio_db::MigratorTrait;
use folio_db::{DatabaseConnection, Migrator};
use folio_jobs::{JobContext, Mailer, RateLimiter, Registry, SiteChanged, Worker, WorkerOptions};
use folio_storage::Storage;
use folio_web::cluster::{Cluster, Event};
use folio_web::{App, AppConfig, Services, WorkerMode};

/// Connects to the database and makes sure its schema is current: migrates when
/// `auto_migrate` is set, otherwise fails with an instruction to run `folio migrate`.
pub async fn prepare_database(config: &AppConfig) -> anyhow::Result<DatabaseConnection> {
    let db = folio_db::connect_with(
        &config.database_url,
        config.database_max_connections,
        &config.database_auth,
    )
    .await
    .context("FOLIO_DATABASE_URL: could not connect to the database")?;
    if config.auto_migrate {
        Migrator::up(&db, None).await.context("applying migrations")?;
    } else {
        let status = folio_db::migrations::schema_status(&db)
            .await
            .context("reading the migration status")?;
        if !status.pending.is_empty() {
            anyhow::bail!(
                "the database schema is behind ({} pending migration(s)): run `folio migrate` first",
                status.pending.len()
            );
        }
        if !status.newer.is_empty() {
            tracing::warn!(
                newer = ?status.newer,
                "a newer release has migrated this database; running on it (migrations are additive)"
            );
        }
    }
    Ok(db)
}

/// The storage `FOLIO_STORAGE_URL` names (used by `serve` and by `folio worker`).
pub fn open_storage(config: &AppConfig) -> anyhow::Result<Storage> {
    Storage::from_settings(&config.storage_settings())
        .map_err(|err| anyhow::anyhow!("FOLIO_STORAGE_URL: {err}"))
}

/// The link to the other instances that `FOLIO_CACHE_URL` names (none with `memory://`).
pub async fn join_cluster(config: &AppConfig) -> anyhow::Result<Cluster> {
    Cluster::connect(&config.cache_url, &config.cache_prefix).await
}

/// The job worker for `config`, on `db` (used by `serve` and by `folio worker`). Jobs that
/// change the public site tell every instance's page cache through `cluster`.
pub fn job_worker(
    config: &AppConfig,
    db: DatabaseConnection,
    mailer: Mailer,
    storage: Storage,
    cluster: Cluster,
) -> Worker {
    let ctx = JobContext {
        db,
        mailer,
        base_url: config.base_url.trim_end_matches('/').to_owned(),
        email_rate: Arc::new(RateLimiter::new(config.email_rate)),
        storage,
        site: Arc::new(config.site.clone()),
        site_changed: SiteChanged::new(move || {
            let cluster = cluster.clone();
            Box::pin(async move { cluster.announce(Event::PagesChanged).await })
        }),
    };
    let options = WorkerOptions {
        concurrency: config.worker_concurrency,
        grace: config.shutdown_grace,
        ..WorkerOptions::default()
    };
    Worker::new(ctx, Registry::standard(), options)
}

/// The app `folio serve` runs: storage opened, then database, mailer and (with
/// `FOLIO_WORKER=embedded`) the worker prepared, and the listener bound.
pub async fn build_app(config: AppConfig) -> anyhow::Result<App> {
    let storage = open_storage(&config)?;
    build_app_on(config, storage).await
}

/// [`build_app`] with storage opened by the caller (tests pass S3 credentials this way,
/// rather than through the process environment).
pub async fn build_app_on(config: AppConfig, storage: Storage) -> anyhow::Result<App> {
    let db = prepare_database(&config).await?;
    let mailer = Mailer::connect(&config.email_url, &config.email_from)
        .await
        .context("FOLIO_EMAIL_URL")?;
    let cluster = join_cluster(&config).await?;
    let embedded_worker = (config.worker == WorkerMode::Embedded).then(|| {
        job_worker(
            &config,
            db.clone(),
            mailer.clone(),
            storage.clone(),
            cluster.clone(),
        )
    });
    let services = Services {
        db,
        mailer,
        storage,
        embedded_worker,
        cluster,
    };
    App::build(&config, services).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what ECS sends before stopping a task).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}
