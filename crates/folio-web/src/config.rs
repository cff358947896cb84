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

/// Everything the web application needs to start.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The public URL, used in links inside emails; `https` turns on `Secure` cookies and HSTS.
    pub base_url: String,
    /// A `sqlite://`, `postgres://` or `mysql://` URL.
    pub database_url: String,
    /// Signs cookies (CSRF, flash) and nothing else; rotating it signs everyone out of forms only.
    pub secret_key: SecretKey,
    /// Where email goes: `file://DIR`, `smtp://…`, `smtps://…`.
    pub email_url: String,
    /// The `From:` of every email.
    pub email_from: String,
    /// When true, the forgot-password form answers the same for known and unknown emails.
    pub privacy_mode: bool,
    /// Apply pending migrations at start (the embedded SQLite default); otherwise refuse to
    /// start while migrations are pending.
    pub auto_migrate: bool,
    /// The most time in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// A request that takes longer than this is answered with 408.
    pub request_timeout: Duration,
    /// Connection pool size.
    pub database_max_connections: u32,
}

impl AppConfig {
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
