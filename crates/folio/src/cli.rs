//! The command line. Every setting is also an environment variable (the configuration contract
//! of docs/ARCHITECTURE.md); values are validated in `config.rs` so a bad one is reported as
//! one line naming the variable.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: notes, a content site and its API, in one binary."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Default, Subcommand)]
pub enum Command {
    /// Serve the web application (the default when no command is given).
    #[default]
    Serve,
    /// Run the background job worker alone (no web server) until SIGTERM/SIGINT.
    Worker,
    /// Apply pending database migrations, then exit.
    Migrate(MigrateArgs),
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the configuration and that the database and email transport are reachable.
    Check,
    /// Write every table (from one consistent snapshot, while the app keeps serving) and every
    /// media object of the configured database and storage into one archive.
    Backup(BackupArgs),
    /// Restore an archive from `folio backup` into the configured database and storage, which
    /// must be empty; any backend from any backend (SQLite -> PostgreSQL is how to outgrow the
    /// embedded default). The whole archive is checked before anything is written.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the archive (a .tar.gz file); replaced if it exists, and only once the
    /// backup is complete. `-` writes it to standard output (restore needs it as a file).
    #[arg(long, short = 'o')]
    pub output: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `folio backup`.
    pub archive: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user. The password is read from the first line of standard input.
    CreateUser(CreateUser),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    /// The new user's email address.
    #[arg(long)]
    pub email: String,
    /// Make the user staff (may use the admin panel).
    #[arg(long)]
    pub staff: bool,
}

#[derive(Debug, Args)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(long, env = "FOLIO_LISTEN", default_value = "127.0.0.1:8000", global = true)]
    pub listen: String,
    /// Public URL of the site, used for links in emails; https turns on Secure cookies and HSTS.
    #[arg(
        long,
        env = "FOLIO_BASE_URL",
        default_value = "http://127.0.0.1:8000",
        global = true
    )]
    pub base_url: String,
    /// Database URL: sqlite://…, postgres://… or mysql://… (SQLite migrates itself at start).
    #[arg(
        long,
        env = "FOLIO_DATABASE_URL",
        default_value = "sqlite://data/folio.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// How the database pool logs in: `url` (the URL's own credentials), or `iam` (AWS IAM
    /// database authentication on RDS: tokens signed with the AWS credential chain; the URL
    /// names the user and no password; needs --features aws).
    #[arg(long, env = "FOLIO_DATABASE_AUTH", default_value = "url", global = true)]
    pub database_auth: String,
    /// The database password, when it is kept apart from FOLIO_DATABASE_URL (injected from a
    /// secret, e.g. RDS's managed master secret for `folio migrate`). Replaces the URL's.
    #[arg(long, env = "FOLIO_DATABASE_PASSWORD", hide_env_values = true, global = true)]
    pub database_password: Option<String>,
    /// Size of the database connection pool (SQLite uses at most 4).
    #[arg(
        long,
        env = "FOLIO_DATABASE_MAX_CONNECTIONS",
        default_value = "4",
        global = true
    )]
    pub database_max_connections: String,
    /// Secret for signing cookies, at least 64 bytes. Unset: generated once into data/secret.key.
    #[arg(long, env = "FOLIO_SECRET_KEY", hide_env_values = true, global = true)]
    pub secret_key: Option<String>,
    /// Where email goes: file://DIR, smtp://[user:pass@]host[:port], smtps://user:pass@host[:port],
    /// or ses://REGION[?configuration_set=NAME] (the SES v2 API with the AWS credential chain).
    #[arg(
        long,
        env = "FOLIO_EMAIL_URL",
        default_value = "file://data/mail",
        hide_env_values = true,
        global = true
    )]
    pub email_url: String,
    /// The From: address of outgoing email.
    #[arg(
        long,
        env = "FOLIO_EMAIL_FROM",
        default_value = "Folio <folio@localhost>",
        global = true
    )]
    pub email_from: String,
    /// Where uploaded images go: file://DIR, or s3://bucket/prefix (with ?region=… and, for
    /// S3-compatible servers, ?endpoint=…; credentials come from the standard AWS chain).
    #[arg(
        long,
        env = "FOLIO_STORAGE_URL",
        default_value = "file://data/media",
        global = true
    )]
    pub storage_url: String,
    /// The CDN URL serving the storage's objects, e.g. https://cdn.example.org/media. With S3
    /// and no CDN, pages link to presigned URLs.
    #[arg(long, env = "FOLIO_MEDIA_BASE_URL", global = true)]
    pub media_base_url: Option<String>,
    /// Answer the forgot-password and sign-up forms the same whether or not the email has an
    /// account.
    #[arg(long, env = "FOLIO_PRIVACY_MODE", default_value = "false", global = true)]
    pub privacy_mode: String,
    /// Seconds a request may take before it is answered with 408.
    #[arg(long, env = "FOLIO_REQUEST_TIMEOUT_SECS", default_value = "30", global = true)]
    pub request_timeout_secs: String,
    /// Seconds a connection may wait for its next request (new, or kept alive after a
    /// response) before it is closed. Behind a load balancer, longer than the balancer's idle
    /// timeout (60 s on an ALB).
    #[arg(long, env = "FOLIO_IDLE_TIMEOUT_SECS", default_value = "75", global = true)]
    pub idle_timeout_secs: String,
    /// Seconds a request's head (request line and headers) may take to arrive once it started.
    #[arg(
        long,
        env = "FOLIO_HEADER_READ_TIMEOUT_SECS",
        default_value = "10",
        global = true
    )]
    pub header_read_timeout_secs: String,
    /// Connections open at once, at most; one more is answered 503 and closed.
    #[arg(long, env = "FOLIO_MAX_CONNECTIONS", default_value = "10000", global = true)]
    pub max_connections: String,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "FOLIO_SHUTDOWN_GRACE_SECS", default_value = "20", global = true)]
    pub shutdown_grace_secs: String,
    /// Seconds `serve` keeps answering after SIGTERM/SIGINT before it stops accepting, with
    /// `/readyz` failing and every response closing its connection, so the load balancer
    /// moves traffic off this instance before it goes (0: stop accepting at once).
    #[arg(long, env = "FOLIO_DRAIN_SECS", default_value = "0", global = true)]
    pub drain_secs: String,
    /// Requests per minute one API token (or one signed-in browser) may make to /api/v1.
    #[arg(long, env = "FOLIO_API_RATE_LIMIT", default_value = "600", global = true)]
    pub api_rate_limit: String,
    /// Note and pad writes per minute one account may make, from the pages and the API.
    #[arg(long, env = "FOLIO_WRITE_RATE_LIMIT", default_value = "120", global = true)]
    pub write_rate_limit: String,
    /// Notes one account may keep.
    #[arg(long, env = "FOLIO_QUOTA_NOTES", default_value = "10000", global = true)]
    pub quota_notes: String,
    /// Pads one account may keep.
    #[arg(long, env = "FOLIO_QUOTA_PADS", default_value = "1000", global = true)]
    pub quota_pads: String,
    /// Megabytes of note text one account may keep, all notes together.
    #[arg(long, env = "FOLIO_QUOTA_TEXT_MB", default_value = "100", global = true)]
    pub quota_text_mb: String,
    /// Signed-in sessions one account may keep; signing in once more ends the oldest.
    #[arg(long, env = "FOLIO_QUOTA_SESSIONS", default_value = "20", global = true)]
    pub quota_sessions: String,
    /// What the web instances share: memory:// (one process: sessions in the database, caches
    /// and rate limits in process), or redis://host:6379 / rediss://user@host:6379 (several
    /// instances: sessions, cache invalidation and rate limits through Redis).
    #[arg(
        long,
        env = "FOLIO_CACHE_URL",
        default_value = "memory://",
        hide_env_values = true,
        global = true
    )]
    pub cache_url: String,
    /// The prefix of Folio's Redis keys and channel, so that deployments can share a Redis.
    #[arg(long, env = "FOLIO_CACHE_PREFIX", default_value = "folio", global = true)]
    pub cache_prefix: String,
    /// Where jobs run: embedded (inside `serve`) or off (run `folio worker` separately).
    #[arg(long, env = "FOLIO_WORKER", default_value = "embedded", global = true)]
    pub worker: String,
    /// Jobs one worker process runs at once.
    #[arg(long, env = "FOLIO_WORKER_CONCURRENCY", default_value = "4", global = true)]
    pub worker_concurrency: String,
    /// Notification emails per second at most, per worker process (0: unlimited). Set it to
    /// the SES sending quota.
    #[arg(long, env = "FOLIO_EMAIL_RATE", default_value = "0", global = true)]
    pub email_rate: String,
    /// Proxies in front of the app (ALB: 1, CloudFront + ALB: 2); the client address is read
    /// that many entries from the right of X-Forwarded-For. 0 uses the peer address.
    #[arg(long, env = "FOLIO_TRUSTED_PROXY_HOPS", default_value = "0", global = true)]
    pub trusted_proxy_hops: String,
    /// SNS topic ARNs (comma-separated) whose SES bounce and complaint notifications
    /// POST /hooks/ses accepts. Unset: the hook answers 404.
    #[arg(long, env = "FOLIO_SES_TOPIC_ARN", global = true)]
    pub ses_topic_arn: Option<String>,
    /// The only host SNS signing certificates may be fetched from. Unset:
    /// sns.<region of the topic>.amazonaws.com.
    #[arg(long, env = "FOLIO_SNS_CERT_HOST", global = true)]
    pub sns_cert_host: Option<String>,
    /// With FOLIO_ADMIN_PASSWORD: the staff user created at start if no user has this email.
    #[arg(long, env = "FOLIO_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,
    /// The first staff user's password (only read when FOLIO_ADMIN_EMAIL is set).
    #[arg(long, env = "FOLIO_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,
    /// The site's name: the public pages' header and titles, the feed, and the emails to
    /// subscribers (at most 100 characters).
    #[arg(
        long,
        env = "FOLIO_SITE_NAME",
        default_value = folio_jobs::site_info::DEFAULT_NAME,
        global = true
    )]
    pub site_name: String,
    /// A sentence describing the site: its home page, meta description and feed subtitle (at
    /// most 300 characters).
    #[arg(
        long,
        env = "FOLIO_SITE_DESCRIPTION",
        default_value = folio_jobs::site_info::DEFAULT_DESCRIPTION,
        global = true
    )]
    pub site_description: String,
    /// Address and port of a separate listener serving Prometheus metrics at /metrics (for
    /// `serve` and `worker`), e.g. 0.0.0.0:9464. Unset or empty: no metrics. Never the public port.
    #[arg(long, env = "FOLIO_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<String>,
    /// The browser app's build (`cd web && npm ci && npm run build` makes it), served at /app/.
    #[arg(long, env = "FOLIO_WEB_DIST", default_value = "web/dist", global = true)]
    pub web_dist: String,
    /// Log filter, e.g. info or folio_web=debug,info.
    #[arg(long, env = "FOLIO_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: pretty, json, or auto (pretty on a terminal, json otherwise).
    #[arg(long, env = "FOLIO_LOG_FORMAT", default_value = "auto", global = true)]
    pub log_format: String,
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// PostgreSQL: after migrating, make sure this role exists and may read and write every
    /// table (and nothing more); web and worker processes then log in as it. On RDS it is
    /// granted rds_iam (log in with FOLIO_DATABASE_AUTH=iam).
    #[arg(long, env = "FOLIO_DATABASE_APP_ROLE")]
    pub app_role: Option<String>,
}
