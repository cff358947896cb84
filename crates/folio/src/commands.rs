//! What each subcommand does.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Instant;

use anyhow::{Context, bail};
use folio::wiring::{build_app, job_worker, join_cluster, open_storage, prepare_database, shutdown_signal};
use folio_db::MigratorTrait;
use folio_db::queries::users::{self, CreateUserError};
use folio_db::{DatabaseConnection, Migrator, connect_with};
use folio_web::domain::{Email, NewPassword};

use crate::cli::{AdminCommand, BackupArgs, Command, CreateUser, MigrateArgs, RestoreArgs};

/// A line on standard output. A reader that went away (`folio check | head -n1`) is not an
/// error of the command, and `println!` would panic on the broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
use crate::config::Config;

pub async fn run(command: Command, config: Config, started: Instant) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config, started).await,
        Command::Worker => worker(config).await,
        Command::Migrate(args) => migrate(config, args).await,
        Command::Admin(AdminCommand::CreateUser(args)) => create_user(config, args).await,
        Command::Check => check(config).await,
        Command::Backup(args) => backup(config, args).await,
        Command::Restore(args) => restore(config, args).await,
    }
}

async fn serve(config: Config, started: Instant) -> anyhow::Result<()> {
    let app = build_app(config.app).await?;
    if let Some((email, password)) = config.bootstrap_admin {
        bootstrap_admin(&app.db, email, password).await?;
    }
    let addr = app.local_addr()?;
    tracing::info!(
        address = %addr,
        startup_ms = started.elapsed().as_millis() as u64,
        "listening on http://{addr}/"
    );
    app.run_until(shutdown_signal()).await
}

/// Creates the first staff user from `FOLIO_ADMIN_EMAIL` / `FOLIO_ADMIN_PASSWORD` unless a
/// user with that email exists (an existing account is never changed, so the variables can
/// stay set across restarts).
async fn bootstrap_admin(db: &DatabaseConnection, email: Email, password: NewPassword) -> anyhow::Result<()> {
    if users::find_by_email(db, email.as_str()).await?.is_some() {
        return Ok(());
    }
    let hash = folio_web::security::password::hash(password.into_inner()).await?;
    match users::create(db, email.as_str(), &hash, true).await {
        Ok(user) => {
            tracing::info!(
                user = user.id,
                "created the staff user named by FOLIO_ADMIN_EMAIL"
            );
            Ok(())
        }
        // Another task created it at the same moment.
        Err(CreateUserError::EmailTaken) => Ok(()),
        Err(CreateUserError::LooksLikeAnother) => {
            anyhow::bail!("FOLIO_ADMIN_EMAIL looks the same as another user's email; choose another")
        }
        Err(CreateUserError::Db(err)) => Err(err.into()),
    }
}

/// `folio worker`: only the job worker, until SIGTERM/SIGINT; then the current jobs get the
/// shutdown grace to finish and are released otherwise.
async fn worker(config: Config) -> anyhow::Result<()> {
    let db = prepare_database(&config.app).await?;
    let mailer = folio_jobs::Mailer::connect(&config.app.email_url, &config.app.email_from).await?;
    let storage = open_storage(&config.app)?;
    // Only to tell the web instances' page caches when a scheduled item goes live.
    let cluster = join_cluster(&config.app).await?;
    let worker = job_worker(&config.app, db.clone(), mailer, storage, cluster);
    // The worker service scales on the queue figures, so `folio worker` serves them too.
    let metrics = match config.app.metrics_listen {
        Some(addr) => Some(folio_web::metrics::MetricsServer::start(addr, db.clone()).await?),
        None => None,
    };
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopping));
    shutdown_signal().await;
    let _ = stop.send(true);
    running.await.context("worker task")?;
    db.close().await.ok();
    drop(metrics);
    Ok(())
}

async fn migrate(config: Config, args: MigrateArgs) -> anyhow::Result<()> {
    if let Some(role) = &args.app_role
        && !folio_db::app_role::valid_role_name(role)
    {
        bail!(
            "--app-role/FOLIO_DATABASE_APP_ROLE: {role:?} is not a valid role name: lowercase letters, digits and _, at most 63"
        );
    }
    let db = connect_with(&config.app.database_url, 2, &config.app.database_auth)
        .await
        .context("FOLIO_DATABASE_URL: could not connect")?;
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None).await.context("applying migrations")?;
    tracing::info!(applied = pending, "migrations applied; the schema is current");
    say!("applied {pending} migration(s); the schema is current");
    if let Some(role) = &args.app_role {
        folio_db::app_role::grant_app_role(&db, role)
            .await
            .with_context(|| format!("granting the application role {role}"))?;
        tracing::info!(role = %role, "application role granted row access");
        say!("role {role}: may read and write rows, nothing more");
    }
    Ok(())
}

/// `folio backup`: no migration is applied (the backup reads the schema as it is, and refuses
/// one this binary does not match).
async fn backup(config: Config, args: BackupArgs) -> anyhow::Result<()> {
    let db = connect_with(&config.app.database_url, 2, &config.app.database_auth)
        .await
        .context("FOLIO_DATABASE_URL: could not connect")?;
    let to_stdout = args.output.as_os_str() == folio::backup::STDOUT;
    if to_stdout && std::io::stdout().is_terminal() {
        bail!("-o -: standard output is a terminal; redirect it to a file or a pipe");
    }
    let storage = open_storage(&config.app)?;
    let progress = folio::backup::Progress::for_stderr("backup");
    let manifest = folio::backup::backup(&db, &storage, &args.output, &progress).await?;
    // With the archive on standard output, the summary is already on standard error.
    if !to_stdout {
        say!(
            "backup written to {}: {} rows, {} media objects",
            args.output.display(),
            manifest.tables.iter().map(|table| table.rows).sum::<u64>(),
            manifest.media.len()
        );
    }
    Ok(())
}

/// `folio restore`: migrates the (empty) target itself.
async fn restore(config: Config, args: RestoreArgs) -> anyhow::Result<()> {
    let db = connect_with(&config.app.database_url, 2, &config.app.database_auth)
        .await
        .context("FOLIO_DATABASE_URL: could not connect")?;
    let storage = open_storage(&config.app)?;
    let progress = folio::backup::Progress::for_stderr("restore");
    let manifest = folio::backup::restore(&db, &storage, &args.archive, &progress).await?;
    say!(
        "restored {} rows and {} media objects from {}",
        manifest.tables.iter().map(|table| table.rows).sum::<u64>(),
        manifest.media.len(),
        args.archive.display()
    );
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (input is shown; pipe it in to avoid that): ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create_user(config: Config, args: CreateUser) -> anyhow::Result<()> {
    let email = Email::parse(&args.email).map_err(|why| anyhow::anyhow!("--email: {why}"))?;
    let password = NewPassword::parse(&read_password()?).map_err(|why| anyhow::anyhow!("password: {why}"))?;
    let db = prepare_database(&config.app).await?;
    let hash = folio_web::security::password::hash(password.into_inner()).await?;
    match users::create(&db, email.as_str(), &hash, args.staff).await {
        Ok(user) => {
            let kind = if user.is_staff { "staff user" } else { "user" };
            say!("created {kind} {} (id {})", user.email, user.id);
            Ok(())
        }
        Err(CreateUserError::EmailTaken) => bail!("a user with the email {} already exists", email.as_str()),
        Err(CreateUserError::LooksLikeAnother) => bail!(
            "another user's email looks the same as {} (letters that can't be told apart)",
            email.as_str()
        ),
        Err(CreateUserError::Db(err)) => Err(err.into()),
    }
}

/// With Redis: a PING, and a write and a read under the configured prefix.
async fn check_cache(config: &Config) -> anyhow::Result<()> {
    let cluster = join_cluster(&config.app).await?;
    let Some(link) = cluster.redis() else {
        say!("cache: memory (one process)");
        return Ok(());
    };
    let probe = async {
        let mut connection = link.connection();
        let key = link.key("check");
        redis::cmd("SET")
            .arg(&key)
            .arg("ok")
            .arg("EX")
            .arg(60)
            .query_async::<()>(&mut connection)
            .await?;
        redis::cmd("GET")
            .arg(&key)
            .query_async::<String>(&mut connection)
            .await
    };
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), probe)
        .await
        .map_err(|_| anyhow::anyhow!("FOLIO_CACHE_URL: Redis did not answer within 5 s"))?
        .map_err(|err| anyhow::anyhow!("FOLIO_CACHE_URL: Redis not usable: {err}"))?;
    anyhow::ensure!(
        read == "ok",
        "FOLIO_CACHE_URL: Redis gave back {read:?} for what was written"
    );
    say!("cache: Redis reachable, can write and read");
    Ok(())
}

async fn check(config: Config) -> anyhow::Result<()> {
    let db = connect_with(&config.app.database_url, 1, &config.app.database_auth)
        .await
        .context("FOLIO_DATABASE_URL: could not connect")?;
    db.ping()
        .await
        .context("FOLIO_DATABASE_URL: the database does not answer")?;
    // Read-only: checking must not create seaql_migrations (the app role may not).
    let status = folio_db::migrations::schema_status(&db)
        .await
        .context("reading the migration status")?;
    let pending = status.pending.len();
    if status.newer.is_empty() {
        say!("database: reachable, {pending} pending migration(s)");
    } else {
        say!(
            "database: reachable, {pending} pending migration(s), {} from a newer release ({})",
            status.newer.len(),
            status.newer.join(", ")
        );
    }
    let mailer = folio_jobs::Mailer::connect(&config.app.email_url, &config.app.email_from).await?;
    mailer
        .check()
        .await
        .context("FOLIO_EMAIL_URL: email transport not usable")?;
    say!("email: usable");
    // Reading an object that need not exist proves the location and credentials work without
    // writing anything.
    let probe = folio_storage::store::Key::parse("folio-check/probe").context("probe key")?;
    open_storage(&config.app)?
        .head(&probe)
        .await
        .context("FOLIO_STORAGE_URL: storage not usable")?;
    say!("storage: usable");
    check_cache(&config).await?;
    if pending > 0 && !config.app.auto_migrate {
        bail!("{pending} migration(s) pending: run `folio migrate`");
    }
    say!("configuration: ok");
    Ok(())
}
