//! What a running job can use.

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use folio_db::entities::email_suppression;
use folio_db::queries::email_suppressions;
use folio_db::{DatabaseConnection, DbErr};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::mailer::Mailer;

/// Shared by every job a process runs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    /// `FOLIO_BASE_URL`, for links in emails (no trailing slash).
    pub base_url: String,
    /// Paces outgoing notification email (SES has a per-second quota).
    pub email_rate: Arc<RateLimiter>,
    /// Where images and their renditions are kept.
    pub storage: folio_storage::Storage,
    /// The site's name, for email subjects and signatures.
    pub site: Arc<crate::SiteInfo>,
    /// Told when a job changed what the public site shows.
    pub site_changed: SiteChanged,
}

/// What a job calls after it changed what the public site shows (a scheduled item went live),
/// so that the web instances drop their cached pages. The binary connects it to the page
/// caches (through Redis when there are several instances); by default it does nothing.
#[derive(Clone)]
pub struct SiteChanged(Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>);

impl SiteChanged {
    pub fn new(
        notify: impl Fn() -> futures_util::future::BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(notify))
    }

    pub async fn notify(&self) {
        (self.0)().await;
    }
}

impl Default for SiteChanged {
    fn default() -> Self {
        Self::new(|| Box::pin(async {}))
    }
}

impl std::fmt::Debug for SiteChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteChanged")
    }
}

impl JobContext {
    /// Why no mail may go to `address` (SES reported a hard bounce or a complaint), if so;
    /// logs the refusal with the message's subject, so an operator sees which mail was held back.
    pub async fn suppression(&self, address: &str, subject: &str) -> Result<Option<String>, DbErr> {
        let found = email_suppressions::find(&self.db, address).await?;
        Ok(found.map(|suppressed| held_back(&suppressed, subject)))
    }

    /// The suppressed addresses among `addresses` (lower-cased), in one query: a batch of
    /// notifications checks its 100 recipients at once rather than one query per email.
    pub async fn suppressions_among(
        &self,
        addresses: &[String],
    ) -> Result<HashMap<String, email_suppression::Model>, DbErr> {
        let found = email_suppressions::among(&self.db, addresses).await?;
        Ok(found.into_iter().map(|row| (row.email.clone(), row)).collect())
    }
}

/// Logs that a message with `subject` was not sent to a suppressed address, and says why (the
/// text kept as the delivery's error).
pub fn held_back(suppressed: &email_suppression::Model, subject: &str) -> String {
    // Every job that skips a suppressed address comes through here, so this is where it counts.
    crate::metrics::record_email("suppressed");
    tracing::warn!(
        suppression = suppressed.id,
        reason = %suppressed.reason,
        detail = %suppressed.detail,
        subject,
        "email not sent: the address is suppressed after a {} reported by SES",
        suppressed.reason
    );
    format!(
        "address suppressed ({}: {})",
        suppressed.reason, suppressed.detail
    )
}

/// Spaces events at least `1/rate` seconds apart across all tasks of one process.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next_slot: Mutex<Instant>,
}

impl RateLimiter {
    /// `per_second = None` (or 0) means unlimited.
    pub fn new(per_second: Option<u32>) -> Self {
        let interval = per_second
            .filter(|rate| *rate > 0)
            .map(|rate| Duration::from_secs(1) / rate);
        Self {
            interval,
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Waits for the next free slot.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next_slot.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[tokio::test(start_paused = true)]
    async fn spaces_events_by_the_rate() {
        let limiter = RateLimiter::new(Some(10));
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        // 11 events at 10 per second: the first is immediate, the last one second later.
        assert_eq!(start.elapsed().as_millis(), 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let limiter = RateLimiter::new(None);
        let start = tokio::time::Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed().as_millis(), 0);
    }
}
