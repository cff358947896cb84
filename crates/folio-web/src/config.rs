//! The web layer's typed configuration. The binary reads the environment and the command line
//! (see `folio --help`); tests build this struct directly.

use std::net::SocketAddr;
use std::time::Duration;

/// A secret that never prints: `Debug` shows a placeholder, so logging a config is safe.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// The minimum length, in bytes, of `FOLIO_SECRET_KEY`.
    pub const MIN_LEN: usize = 64;

    /// Wraps key material; `None` when it is shorter than [`Self::MIN_LEN`].
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (bytes.len() >= Self::MIN_LEN).then_some(Self(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Everything the web application needs to start. `Debug` hides the passwords that database
/// and SMTP URLs can carry.
#[derive(Clone)]
pub struct AppConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The public URL, used in links inside emails; `https` turns on `Secure` cookies and HSTS.
    pub base_url: String,
    /// A `sqlite://`, `postgres://` or `mysql://` URL.
    pub database_url: String,
    /// How the pool logs in: the URL's credentials, a separate password, or AWS IAM tokens.
    pub database_auth: folio_db::DatabaseAuth,
    /// Signs cookies (CSRF, flash) and nothing else; rotating it signs everyone out of forms only.
    pub secret_key: SecretKey,
    /// Where email goes: `file://DIR`, `smtp://…`, `smtps://…`, `ses://REGION`.
    pub email_url: String,
    /// The `From:` of every email.
    pub email_from: String,
    /// Where uploads go: `file://DIR` or `s3://bucket/prefix` (`FOLIO_STORAGE_URL`).
    pub storage_url: String,
    /// The CDN URL that serves the storage's objects (`FOLIO_MEDIA_BASE_URL`); with S3 and no
    /// CDN, pages link to presigned URLs instead.
    pub media_base_url: Option<String>,
    /// When true, the forgot-password form answers the same for known and unknown emails.
    pub privacy_mode: bool,
    /// Apply pending migrations at start (the embedded SQLite default); otherwise refuse to
    /// start while migrations are pending.
    pub auto_migrate: bool,
    /// The most time in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How long `serve` keeps answering after the shutdown signal, unready and closing each
    /// connection after its response, before it stops accepting (`FOLIO_DRAIN_SECS`).
    pub drain: Duration,
    /// A request that takes longer than this is answered with 408.
    pub request_timeout: Duration,
    /// Idle and header-read timeouts and the connection cap (`crate::connections`).
    pub connections: crate::connections::ConnectionLimits,
    /// Connection pool size.
    pub database_max_connections: u32,
    /// Whether `serve` also runs the job worker (`FOLIO_WORKER`).
    pub worker: WorkerMode,
    /// Jobs the embedded or standalone worker runs at once.
    pub worker_concurrency: usize,
    /// Notification emails per second at most (`None`: unlimited), per process.
    pub email_rate: Option<u32>,
    /// How many proxies (load balancer, CDN) stand in front of the app: the client address is
    /// taken that many entries from the right of `X-Forwarded-For`; 0 uses the peer address.
    pub trusted_proxy_hops: usize,
    /// SNS topics whose SES notifications `/hooks/ses` accepts (`FOLIO_SES_TOPIC_ARN`); empty
    /// turns the hook off.
    pub ses_topic_arns: Vec<String>,
    /// The only host SNS signing certificates may come from (`FOLIO_SNS_CERT_HOST`); unset:
    /// `sns.<region of the first topic>.amazonaws.com`.
    pub sns_cert_host: Option<String>,
    /// The site's name and description (`FOLIO_SITE_NAME`, `FOLIO_SITE_DESCRIPTION`).
    pub site: folio_jobs::SiteInfo,
    /// What the instances share (`FOLIO_CACHE_URL`): nothing, or a Redis.
    pub cache_url: crate::cluster::CacheUrl,
    /// The prefix of every Redis key and channel: deployments (and tests) sharing one Redis
    /// keep apart by it.
    pub cache_prefix: String,
    /// The rate limits of the forms.
    pub rate_limits: crate::security::rate_limit::RateLimits,
    /// What one account may store (`FOLIO_QUOTA_*`).
    pub quotas: crate::security::quotas::Quotas,
    /// Where Prometheus metrics are served (`FOLIO_METRICS_LISTEN`), apart from the public
    /// port; `None` (the default) serves none.
    pub metrics_listen: Option<SocketAddr>,
    /// The browser app's build, served at `/app/` (`FOLIO_WEB_DIST`, default `web/dist`).
    pub web_dist: std::path::PathBuf,
}

/// Where jobs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerMode {
    /// Inside `serve` (the single-process default).
    Embedded,
    /// Not in this process: `folio worker` runs them (production web tasks).
    Off,
}

/// How long a presigned media URL stays valid: well beyond the page cache's minute, so a page
/// served from any cache still shows its images.
pub const PRESIGNED_URL_LIFETIME: Duration = Duration::from_secs(6 * 3600);

impl AppConfig {
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The storage settings of this configuration.
    pub fn storage_settings(&self) -> folio_storage::store::StorageSettings {
        folio_storage::store::StorageSettings {
            url: self.storage_url.clone(),
            media_base_url: self.media_base_url.clone(),
            presign_expiry: PRESIGNED_URL_LIFETIME,
        }
    }
}

/// `scheme://user:***@host/…` for a URL with a password; other URLs unchanged.
pub fn redact_url(url: &str) -> String {
    let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return url.to_owned();
    };
    if at < scheme_end {
        return url.to_owned();
    }
    match url[scheme_end + 3..at].split_once(':') {
        Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
        None => url.to_owned(),
    }
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("database_url", &redact_url(&self.database_url))
            .field("database_auth", &self.database_auth)
            .field("secret_key", &self.secret_key)
            .field("email_url", &redact_url(&self.email_url))
            .field("email_from", &self.email_from)
            .field("storage_url", &self.storage_url)
            .field("media_base_url", &self.media_base_url)
            .field("privacy_mode", &self.privacy_mode)
            .field("auto_migrate", &self.auto_migrate)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("drain", &self.drain)
            .field("request_timeout", &self.request_timeout)
            .field("connections", &self.connections)
            .field("database_max_connections", &self.database_max_connections)
            .field("worker", &self.worker)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("email_rate", &self.email_rate)
            .field("trusted_proxy_hops", &self.trusted_proxy_hops)
            .field("ses_topic_arns", &self.ses_topic_arns)
            .field("sns_cert_host", &self.sns_cert_host)
            .field("site", &self.site)
            .field("cache_url", &self.cache_url)
            .field("cache_prefix", &self.cache_prefix)
            .field("rate_limits", &self.rate_limits)
            .field("quotas", &self.quotas)
            .field("metrics_listen", &self.metrics_listen)
            .field("web_dist", &self.web_dist)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let config = AppConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            base_url: "http://x".into(),
            database_url: "postgres://folio:db-secret@db/folio".into(),
            database_auth: folio_db::DatabaseAuth::Password("pw-secret".into()),
            secret_key: SecretKey::new(vec![b'k'; 64]).unwrap(),
            email_url: "smtps://mailer:smtp-secret@mail:465".into(),
            email_from: "a@b.c".into(),
            storage_url: "file://media".into(),
            media_base_url: None,
            privacy_mode: false,
            auto_migrate: false,
            shutdown_grace: Duration::from_secs(1),
            drain: Duration::ZERO,
            request_timeout: Duration::from_secs(1),
            connections: crate::connections::ConnectionLimits::default(),
            database_max_connections: 1,
            worker: WorkerMode::Off,
            worker_concurrency: 1,
            email_rate: None,
            trusted_proxy_hops: 0,
            ses_topic_arns: Vec::new(),
            sns_cert_host: None,
            site: folio_jobs::SiteInfo::default(),
            cache_url: crate::cluster::CacheUrl::parse("redis://:cache-secret@cache:6379").unwrap(),
            cache_prefix: "folio".into(),
            rate_limits: crate::security::rate_limit::RateLimits::default(),
            quotas: crate::security::quotas::Quotas::default(),
            metrics_listen: None,
            web_dist: "web/dist".into(),
        };
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("db-secret")
                && !printed.contains("smtp-secret")
                && !printed.contains("cache-secret"),
            "{printed}"
        );
        assert!(!printed.contains("kkkk"), "{printed}");
        assert!(printed.contains("postgres://folio:***@db/folio"), "{printed}");
    }

    #[test]
    fn redacts_only_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
