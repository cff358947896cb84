//! A fixed-window rate limit per client, in memory. Each web process counts on its own, so
//! with N tasks behind a load balancer a client gets up to N times the limit: good enough
//! against a script hammering a form, and it needs no shared store.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use moka::sync::Cache;

#[derive(Clone, Debug)]
pub struct RateLimit {
    max: u32,
    windows: Cache<IpAddr, Arc<AtomicU32>>,
}

impl RateLimit {
    /// At most `max` events per client per `window` (the window starts at the first event).
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            windows: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts one event for `client`; false when it is over the limit.
    pub fn allow(&self, client: IpAddr) -> bool {
        let counter = self.windows.get_with(client, || Arc::new(AtomicU32::new(0)));
        counter.fetch_add(1, Ordering::Relaxed) < self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_client() {
        let limit = RateLimit::new(2, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limit.allow(a));
        assert!(limit.allow(a));
        assert!(!limit.allow(a));
        assert!(limit.allow(b));
    }
}
