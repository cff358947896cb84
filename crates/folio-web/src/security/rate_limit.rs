//! Rate limits, shared by every instance when `FOLIO_CACHE_URL` is Redis.
//!
//! Fixed windows that start at a subject's first event: the first event creates the counter
//! `<prefix>:rl:<limit>:<subject>` with the window as its expiry, and each event adds one
//! (`SET NX EX` + `INCR` + `PTTL` in one atomic round trip), or the same in process with
//! `memory://`. A subject gets at most `max` events per window, and [`Verdict::Limited`] says
//! when its window ends (`Retry-After`).
//!
//! When Redis can't be reached the counting falls back to this process (logged), so a form
//! stays protected and never fails because of its limiter.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::cluster::{Cluster, RedisLink};

/// At most `max` events per `window`, for one subject (a client address, an account).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Short name, in keys, logs and the `folio_rate_limited_total` metric.
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(name: &'static str, max: u32, window: Duration) -> Self {
        Self { name, max, window }
    }
}

const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

/// Every limit the app applies. The defaults are production's; tests raise them where a test
/// needs many requests from one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed sign-ins per account (whoever tries).
    pub sign_in_account: Limit,
    /// Failed sign-ins per client address (whichever accounts).
    pub sign_in_client: Limit,
    /// Accounts created per client address.
    pub sign_up: Limit,
    /// Reset links asked for per client address.
    pub forgot_password_client: Limit,
    /// Reset links sent per account, so nobody can flood someone's inbox.
    pub forgot_password_account: Limit,
    /// Subscription requests per client address.
    pub subscribe: Limit,
    /// Contact messages per client address.
    pub contact: Limit,
    /// Note and pad writes per account, from the pages and the API (`FOLIO_WRITE_RATE_LIMIT`).
    pub writes: Limit,
    /// API requests per token (or per signed-in browser session user, or per client address
    /// for anonymous callers).
    pub api: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sign_in_account: Limit::new("sign_in_account", 10, Duration::from_secs(15 * 60)),
            sign_in_client: Limit::new("sign_in_client", 30, Duration::from_secs(15 * 60)),
            sign_up: Limit::new("sign_up", 10, HOUR),
            forgot_password_client: Limit::new("forgot_password_client", 5, HOUR),
            forgot_password_account: Limit::new("forgot_password_account", 3, HOUR),
            subscribe: Limit::new("subscribe", 5, HOUR),
            contact: Limit::new("contact", 5, HOUR),
            api: Limit::new("api", 600, MINUTE),
            writes: Limit::new("writes", 120, MINUTE),
        }
    }
}

impl RateLimits {
    /// Every limit multiplied by `factor` (tests that send many forms from one address).
    pub fn relaxed(factor: u32) -> Self {
        let scale = |limit: Limit| Limit {
            max: limit.max.saturating_mul(factor),
            ..limit
        };
        let d = Self::default();
        Self {
            sign_in_account: scale(d.sign_in_account),
            sign_in_client: scale(d.sign_in_client),
            sign_up: scale(d.sign_up),
            forgot_password_client: scale(d.forgot_password_client),
            forgot_password_account: scale(d.forgot_password_account),
            subscribe: scale(d.subscribe),
            contact: scale(d.contact),
            api: scale(d.api),
            writes: scale(d.writes),
        }
    }

    /// The write limit set to `max` note and pad writes a minute per account
    /// (`FOLIO_WRITE_RATE_LIMIT`).
    pub fn with_writes_per_minute(self, max: u32) -> Self {
        Self {
            writes: Limit::new("writes", max, MINUTE),
            ..self
        }
    }

    /// The API's limit set to `max` requests a minute (`FOLIO_API_RATE_LIMIT`).
    pub fn with_api_per_minute(self, max: u32) -> Self {
        Self {
            api: Limit::new("api", max, MINUTE),
            ..self
        }
    }
}

/// Whether an event may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit until the window ends, in this many seconds (at least 1).
    Limited {
        retry_after_secs: u64,
    },
}

/// A counted event's verdict and what its window has left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub verdict: Verdict,
    /// Events still allowed in this window.
    pub remaining: u64,
    /// Seconds until the window ends and the count starts again.
    pub reset_secs: u64,
}

/// Counts events per limit and subject. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    cluster: Cluster,
    /// The counters of `memory://`, and the fallback while Redis is unreachable.
    memory: Cache<String, Arc<Mutex<Counter>>>,
}

/// An in-process counter: events since the window started.
#[derive(Debug)]
struct Counter {
    events: u64,
    started: Instant,
}

/// Events counted in the current window, and the time until it ends.
#[derive(Clone, Copy, Debug)]
struct Count {
    events: u64,
    left: Duration,
}

impl RateLimiter {
    pub fn new(cluster: Cluster) -> Self {
        Self {
            cluster,
            memory: Cache::builder()
                .max_capacity(100_000)
                // Longer than the longest window: a counter idle this long has no window left.
                .time_to_idle(2 * HOUR)
                .build(),
        }
    }

    /// Counts one event for `subject` and judges it: the `max`-th event in a window is
    /// allowed, the next is not.
    pub async fn hit(&self, limit: &Limit, subject: &str) -> Verdict {
        self.hit_with_usage(limit, subject).await.verdict
    }

    /// [`Self::hit`], also telling what is left of the window (the API's `RateLimit` header).
    pub async fn hit_with_usage(&self, limit: &Limit, subject: &str) -> Usage {
        let key = key(limit, subject);
        let count = match self.cluster.redis() {
            Some(link) => match redis_hit(link, &key, limit.window).await {
                Ok(count) => count,
                Err(err) => {
                    warn_fallback(limit, &err);
                    self.memory_hit(&key, limit.window)
                }
            },
            None => self.memory_hit(&key, limit.window),
        };
        Usage {
            verdict: judge(limit, count),
            remaining: u64::from(limit.max).saturating_sub(count.events),
            reset_secs: round_up_secs(count.left),
        }
    }

    /// [`Self::hit`] for a client address; a client whose address can't be known is not limited.
    pub async fn hit_client(&self, limit: &Limit, client: Option<std::net::IpAddr>) -> Verdict {
        match client {
            Some(client) => self.hit(limit, &client.to_string()).await,
            None => Verdict::Allowed,
        }
    }

    /// Judges `subject` without counting (sign-in counts only failures, after the attempt).
    pub async fn check(&self, limit: &Limit, subject: &str) -> Verdict {
        let key = key(limit, subject);
        let count = match self.cluster.redis() {
            Some(link) => match redis_count(link, &key).await {
                Ok(count) => count,
                Err(err) => {
                    warn_fallback(limit, &err);
                    self.memory_count(&key, limit.window)
                }
            },
            None => self.memory_count(&key, limit.window),
        };
        // Already at the limit means the next counted event would be over it.
        judge(
            limit,
            Count {
                events: count.events.saturating_add(1),
                ..count
            },
        )
    }

    fn memory_hit(&self, key: &str, window: Duration) -> Count {
        let counter = self.memory.get_with_by_ref(key, || {
            Arc::new(Mutex::new(Counter {
                events: 0,
                started: Instant::now(),
            }))
        });
        let mut counter = counter.lock().unwrap_or_else(PoisonError::into_inner);
        if counter.started.elapsed() >= window {
            *counter = Counter {
                events: 0,
                started: Instant::now(),
            };
        }
        counter.events += 1;
        Count {
            events: counter.events,
            left: window.saturating_sub(counter.started.elapsed()),
        }
    }

    fn memory_count(&self, key: &str, window: Duration) -> Count {
        let Some(counter) = self.memory.get(key) else {
            return Count {
                events: 0,
                left: window,
            };
        };
        let counter = counter.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = counter.started.elapsed();
        Count {
            events: if elapsed >= window { 0 } else { counter.events },
            left: window.saturating_sub(elapsed),
        }
    }
}

fn warn_fallback(limit: &Limit, err: &redis::RedisError) {
    tracing::warn!(error = %err, limit = limit.name, "rate limit: Redis unreachable, counting in this process");
}

fn judge(limit: &Limit, count: Count) -> Verdict {
    if count.events <= u64::from(limit.max) {
        return Verdict::Allowed;
    }
    metrics::counter!("folio_rate_limited_total", "limit" => limit.name).increment(1);
    // Rounded up, and at least a second: a client that waits this long gets through.
    Verdict::Limited {
        retry_after_secs: round_up_secs(count.left).max(1),
    }
}

fn round_up_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// `rl:<limit>:<subject digest>`: keys hold no email address or client address in the clear.
fn key(limit: &Limit, subject: &str) -> String {
    let digest = Sha256::digest(subject.as_bytes());
    format!("rl:{}:{}", limit.name, hex::encode(&digest[..12]))
}

/// Starts the window if there is none, counts the event, and reads the time left: one
/// atomic round trip.
async fn redis_hit(link: &RedisLink, key: &str, window: Duration) -> redis::RedisResult<Count> {
    let key = link.key(key);
    let mut connection = link.connection();
    let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    let (events, left_ms): (u64, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(&key)
        .arg(0)
        .arg("PX")
        .arg(window_ms)
        .arg("NX")
        .ignore()
        .cmd("INCR")
        .arg(&key)
        .cmd("PTTL")
        .arg(&key)
        .query_async(&mut connection)
        .await?;
    Ok(Count::from_redis(events, left_ms))
}

async fn redis_count(link: &RedisLink, key: &str) -> redis::RedisResult<Count> {
    let key = link.key(key);
    let mut connection = link.connection();
    let (events, left_ms): (Option<u64>, i64) = redis::pipe()
        .cmd("GET")
        .arg(&key)
        .cmd("PTTL")
        .arg(&key)
        .query_async(&mut connection)
        .await?;
    Ok(Count::from_redis(events.unwrap_or(0), left_ms))
}

impl Count {
    /// From a counter's value and its `PTTL` (negative when the key is gone or has no expiry).
    fn from_redis(events: u64, left_ms: i64) -> Self {
        Self {
            events,
            left: Duration::from_millis(u64::try_from(left_ms).unwrap_or(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn allows_up_to_the_limit_per_subject() {
        let limiter = RateLimiter::new(Cluster::alone());
        let limit = Limit::new("test", 2, HOUR);
        assert_eq!(limiter.check(&limit, "a").await, Verdict::Allowed);
        assert_eq!(limiter.hit(&limit, "a").await, Verdict::Allowed);
        assert_eq!(limiter.hit(&limit, "a").await, Verdict::Allowed);
        assert!(matches!(
            limiter.check(&limit, "a").await,
            Verdict::Limited { .. }
        ));
        let Verdict::Limited { retry_after_secs } = limiter.hit(&limit, "a").await else {
            panic!("the third event should be limited");
        };
        assert!((1..=3600).contains(&retry_after_secs));
        assert_eq!(limiter.hit(&limit, "b").await, Verdict::Allowed);
    }

    #[test]
    fn keys_hide_the_subject() {
        let limit = Limit::new("contact", 1, Duration::from_secs(60));
        let key = key(&limit, "someone@example.org");
        assert!(key.starts_with("rl:contact:"), "{key}");
        assert!(!key.contains("example"), "{key}");
    }
}
