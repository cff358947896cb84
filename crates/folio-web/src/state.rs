//! The application state every handler can ask for.

use std::sync::Arc;

use folio_db::DatabaseConnection;
use folio_jobs::Mailer;
use sha2::{Digest, Sha512};
use tower_cookies::Key;

use crate::cluster::Cluster;
use crate::config::{AppConfig, SecretKey};
use crate::page_cache::SiteCache;
use crate::security::rate_limit::{RateLimiter, RateLimits};
use crate::session::Sessions;
use crate::view_counts::ViewCounter;

#[derive(Clone)]
pub struct AppState {
    /// The connection pool (SQLite, PostgreSQL or MySQL/MariaDB).
    pub db: DatabaseConnection,
    /// Where outgoing email goes.
    pub mailer: Mailer,
    /// Signs the CSRF and flash cookies. Derived from `FOLIO_SECRET_KEY`.
    pub cookie_key: Key,
    /// The session store, kept here too so that handlers can end a user's other sessions.
    pub sessions: Sessions,
    /// Settings the handlers read.
    pub settings: Arc<Settings>,
    /// Rendered public pages; content writes must call `content_changed` after they commit.
    pub site_cache: SiteCache,
    /// Item views not yet written to the database.
    pub views: ViewCounter,
    /// Counts attempts against the forms' limits (shared by the instances with Redis).
    pub limiter: RateLimiter,
    /// This instance's link to the others (Redis), or none.
    pub cluster: Cluster,
    /// Where uploaded images and their renditions are kept.
    pub storage: folio_storage::Storage,
    /// `scheme://host` serving the images when that is not this site (for the CSP).
    pub media_origin: Option<String>,
    /// Verifies SES notifications at `/hooks/ses`; `None` turns the hook off.
    pub sns: Option<Arc<crate::sns::SnsVerifier>>,
    /// Turned on by the shutdown signal: `/readyz` fails and connections close (see `drain`).
    pub draining: crate::drain::Draining,
    /// Who each recently used API token speaks for (see `security::token_cache`).
    pub api_tokens: crate::security::token_cache::TokenCache,
}

/// The part of the configuration that handlers need at request time.
#[derive(Debug)]
pub struct Settings {
    /// Public URL without a trailing slash, for links in emails.
    pub base_url: String,
    /// Cookies get `Secure` when the site is https.
    pub secure_cookies: bool,
    /// Forgot-password answers the same for known and unknown emails.
    pub privacy_mode: bool,
    /// Proxies in front of the app, for reading the client address.
    pub trusted_proxy_hops: usize,
    /// The site's name and description, for the public pages, the feed and emails.
    pub site: Arc<folio_jobs::SiteInfo>,
    /// The forms' rate limits.
    pub rate_limits: RateLimits,
    /// What one account may store.
    pub quotas: crate::security::quotas::Quotas,
    /// The browser app's build (`FOLIO_WEB_DIST`).
    pub web_dist: std::path::PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("mailer", &self.mailer)
            .field("settings", &self.settings)
            .finish()
    }
}

/// The cookie-signing key: SHA-512 of the secret gives the 64 bytes `Key` wants, whatever the
/// length and alphabet of the configured secret.
pub fn cookie_key(secret: &SecretKey) -> Key {
    Key::from(&Sha512::digest(secret.expose()))
}

impl AppState {
    /// The state on `cluster` (from [`Cluster::connect`] with the configuration's cache URL).
    pub fn new(
        config: &AppConfig,
        db: DatabaseConnection,
        mailer: Mailer,
        storage: folio_storage::Storage,
        cluster: Cluster,
    ) -> Self {
        Self {
            sessions: Sessions::new(db.clone(), cluster.clone()),
            db,
            mailer,
            cookie_key: cookie_key(&config.secret_key),
            settings: Arc::new(Settings {
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                secure_cookies: config.is_https(),
                privacy_mode: config.privacy_mode,
                trusted_proxy_hops: config.trusted_proxy_hops,
                site: Arc::new(config.site.clone()),
                rate_limits: config.rate_limits,
                quotas: config.quotas,
                web_dist: config.web_dist.clone(),
            }),
            site_cache: SiteCache::new(cluster.clone()),
            views: ViewCounter::default(),
            limiter: RateLimiter::new(cluster.clone()),
            api_tokens: crate::security::token_cache::TokenCache::new(cluster.clone()),
            cluster,
            storage,
            media_origin: None,
            sns: None,
            draining: crate::drain::Draining::default(),
        }
    }
}
