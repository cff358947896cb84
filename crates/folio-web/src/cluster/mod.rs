//! What the web instances of one deployment share (`FOLIO_CACHE_URL`).
//!
//! With `memory://` (the default) there is one process and nothing to share: sessions live in
//! the database with an in-process cache, pages are cached in process, rate limits count in
//! process. With `redis://` or `rediss://` every instance talks to the same Redis:
//! - sessions are kept there (see `session::store`);
//! - rate limits count there, so N instances allow what one would;
//! - every instance subscribes to one pub/sub channel on which the others announce what they
//!   changed (pages, ended sessions), and drops its in-process copies when told.
//!
//! An in-process copy is only as good as the channel that keeps it fresh, so each instance
//! also publishes a heartbeat every [`HEARTBEAT_EVERY`] and watches for its own. While its
//! last heartbeat is older than [`STALE_AFTER`] (Redis down, subscription lost, network cut),
//! [`Cluster::local_copies_trusted`] is false: pages are rendered afresh and sessions are
//! read from Redis. When heartbeats come back the instance first drops every in-process copy
//! (it may have missed announcements meanwhile), then trusts its caches again. So a change on
//! one instance reaches the others' caches within a round trip through Redis, and never later
//! than [`STALE_AFTER`].

#[cfg(feature = "aws")]
mod iam;
mod redis_link;

use std::sync::Arc;
use std::time::Duration;

pub use redis_link::RedisLink;

/// How often each instance publishes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(200);
/// An instance that has not heard its own heartbeat for this long stops trusting its
/// in-process copies.
pub const STALE_AFTER: Duration = Duration::from_millis(800);

/// `FOLIO_CACHE_URL`, parsed.
#[derive(Clone, PartialEq, Eq)]
pub enum CacheUrl {
    /// One process: everything in memory (and sessions in the database).
    Memory,
    /// A Redis server; `rediss://` uses TLS. The URL may carry a password (`redis://:pw@host`);
    /// a user without one authenticates with an IAM token on ElastiCache (`aws` builds).
    Redis(String),
}

impl CacheUrl {
    /// Parses `memory://`, `redis://…` or `rediss://…`, with a reason when it is none of them.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() || value == "memory://" || value == "memory" {
            return Ok(Self::Memory);
        }
        if !(value.starts_with("redis://") || value.starts_with("rediss://")) {
            return Err("use memory://, redis://host:6379 or rediss://host:6379".into());
        }
        let url = url::Url::parse(value).map_err(|err| format!("not a URL: {err}"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("name the Redis host (redis://host:6379)".into());
        }
        let database = url.path().trim_start_matches('/');
        if !database.is_empty() && database.parse::<u8>().is_err() {
            return Err(format!("the path must be a database number, not {database:?}"));
        }
        Ok(Self::Redis(value.to_owned()))
    }
}

impl std::fmt::Debug for CacheUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory => f.write_str("memory://"),
            Self::Redis(url) => f.write_str(&crate::config::redact_url(url)),
        }
    }
}

/// What one instance announces to the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Content changed: drop every cached page.
    PagesChanged,
    /// One session ended or changed: drop it.
    SessionChanged(i128),
    /// Every session of a user ended, but `keep` (a password change or reset, a deactivation:
    /// their API tokens ended too).
    UserSessionsEnded { user_id: i64, keep: Option<i128> },
    /// One or more of a user's API tokens were revoked: drop the user's cached tokens.
    TokensRevoked { user_id: i64 },
    /// Announcements may have been missed: drop every in-process copy.
    Resync,
}

impl Event {
    fn encode(&self) -> Option<String> {
        Some(match self {
            Self::PagesChanged => "pages".to_owned(),
            Self::SessionChanged(id) => format!("session {id}"),
            Self::UserSessionsEnded { user_id, keep } => match keep {
                Some(keep) => format!("user {user_id} {keep}"),
                None => format!("user {user_id}"),
            },
            Self::TokensRevoked { user_id } => format!("tokens {user_id}"),
            Self::Resync => return None,
        })
    }

    fn decode(text: &str) -> Option<Self> {
        let mut words = text.split(' ');
        match (words.next()?, words.next(), words.next()) {
            ("pages", None, None) => Some(Self::PagesChanged),
            ("tokens", Some(user), None) => Some(Self::TokensRevoked {
                user_id: user.parse().ok()?,
            }),
            ("session", Some(id), None) => Some(Self::SessionChanged(id.parse().ok()?)),
            ("user", Some(user), keep) => Some(Self::UserSessionsEnded {
                user_id: user.parse().ok()?,
                keep: match keep {
                    Some(keep) => Some(keep.parse().ok()?),
                    None => None,
                },
            }),
            _ => None,
        }
    }
}

/// Something that keeps in-process copies and must hear about changes (the page cache, the
/// session store).
pub type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// This instance's view of the deployment: alone, or linked to the others through Redis.
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct Cluster {
    redis: Option<Arc<RedisLink>>,
    listeners: Arc<std::sync::RwLock<Vec<Listener>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

impl Cluster {
    /// One process, nothing shared.
    pub fn alone() -> Self {
        Self::default()
    }

    /// Linked through the Redis at `url`, with every key under `prefix`. Does not wait for
    /// Redis: an instance starts (and serves what it can) while Redis is down.
    pub async fn connect(url: &CacheUrl, prefix: &str) -> anyhow::Result<Self> {
        let CacheUrl::Redis(url) = url else {
            return Ok(Self::alone());
        };
        let login = redis_link::Login::for_url(url).await?;
        let alone = Self::default();
        let local = alone.clone();
        let link = RedisLink::open(url, prefix, login, Arc::new(move |event| local.deliver(event)))?;
        Ok(Self {
            redis: Some(link),
            ..alone
        })
    }

    /// The Redis link, when there is one.
    pub fn redis(&self) -> Option<&Arc<RedisLink>> {
        self.redis.as_ref()
    }

    /// Registers something that must hear about the other instances' changes.
    pub fn listen(&self, listener: Listener) {
        self.listeners
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(listener);
    }

    /// Whether in-process copies may be served: always when alone; with Redis, while this
    /// instance hears its own heartbeat.
    pub fn local_copies_trusted(&self) -> bool {
        self.redis.as_ref().is_none_or(|link| link.hearing_itself())
    }

    /// Tells every instance, this one included (alone: only this one). Through Redis a
    /// failure is logged: the others stop trusting their copies when Redis fails, and drop
    /// them when it is back.
    pub async fn announce(&self, event: Event) {
        match &self.redis {
            Some(link) => link.publish(&event).await,
            None => self.deliver(&event),
        }
    }

    fn deliver(&self, event: &Event) {
        let listeners = self
            .listeners
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for listener in listeners.iter() {
            listener(event);
        }
    }

    /// `Ok` when alone or when Redis answers a PING.
    pub async fn ping(&self) -> Result<(), String> {
        match &self.redis {
            Some(link) => link.ping().await.map_err(|err| err.to_string()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_urls() {
        assert_eq!(CacheUrl::parse("memory://"), Ok(CacheUrl::Memory));
        assert_eq!(CacheUrl::parse(""), Ok(CacheUrl::Memory));
        for url in ["redis://127.0.0.1:6379/2", "rediss://app@primary.example:6379"] {
            assert_eq!(CacheUrl::parse(url), Ok(CacheUrl::Redis(url.into())));
        }
        assert!(CacheUrl::parse("memcached://x").is_err());
        assert!(CacheUrl::parse("redis://").is_err());
        assert!(CacheUrl::parse("redis://host/notanumber").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let url = CacheUrl::parse("redis://:s3cret@host:6379").unwrap();
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn events_round_trip() {
        for event in [
            Event::PagesChanged,
            Event::SessionChanged(-5),
            Event::SessionChanged(i128::MAX),
            Event::UserSessionsEnded {
                user_id: 7,
                keep: None,
            },
            Event::UserSessionsEnded {
                user_id: 7,
                keep: Some(12),
            },
            Event::TokensRevoked { user_id: 7 },
        ] {
            assert_eq!(Event::decode(&event.encode().unwrap()), Some(event));
        }
        assert_eq!(Event::decode("user x"), None);
        assert_eq!(Event::decode("pages extra"), None);
        assert_eq!(Event::decode("tokens 7 8"), None);
        assert_eq!(Event::Resync.encode(), None);
    }
}
