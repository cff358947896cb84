//! Who a token speaks for, kept in process for a minute, so a busy token costs no database
//! round trip per request.
//!
//! Kept correct the way the session cache is: a revocation in Settings announces
//! `TokensRevoked`, and a password change or reset and a deactivation announce
//! `UserSessionsEnded` (their tokens are revoked in the same step); every instance drops that
//! user's entries when it hears either. While this instance does not hear its own heartbeat
//! (Redis unreachable) it reads the database every time, and a generation counter keeps a
//! lookup that raced an announcement from putting a stale entry back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use folio_db::queries::api_tokens::TokenOwner;
use moka::sync::Cache;

use crate::cluster::{Cluster, Event};

/// The longest an entry is kept; announcements normally drop it much sooner.
const TTL: Duration = Duration::from_secs(60);

/// Token owners by token digest. Cheap to clone.
#[derive(Clone)]
pub struct TokenCache {
    owners: Cache<String, TokenOwner>,
    generation: Arc<AtomicU64>,
    cluster: Cluster,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.owners.entry_count())
            .finish()
    }
}

impl TokenCache {
    pub fn new(cluster: Cluster) -> Self {
        let cache = Self {
            owners: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
            generation: Arc::new(AtomicU64::new(0)),
            cluster: cluster.clone(),
        };
        let (owners, generation) = (cache.owners.clone(), cache.generation.clone());
        cluster.listen(Arc::new(move |event| forget(&owners, &generation, event)));
        cache
    }

    /// The cached owner of the token with `digest`, while its expiry has not passed and this
    /// instance trusts its in-process copies.
    pub fn get(&self, digest: &str) -> Option<TokenOwner> {
        if !self.cluster.local_copies_trusted() {
            return None;
        }
        let owner = self.owners.get(digest)?;
        owner.expires_at.is_none_or(|at| at > Utc::now()).then_some(owner)
    }

    /// The generation to pass to [`Self::put`]: read it before the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Drops the entry of the token with `digest`.
    pub fn remove(&self, digest: &str) {
        self.owners.invalidate(digest);
    }

    /// Keeps `owner`, unless an announcement arrived since `generation` was read.
    pub fn put(&self, digest: &str, owner: TokenOwner, generation: u64) {
        if self.generation() == generation && self.cluster.local_copies_trusted() {
            self.owners.insert(digest.to_owned(), owner);
        }
    }
}

fn forget(owners: &Cache<String, TokenOwner>, generation: &AtomicU64, event: &Event) {
    let user_id = match *event {
        Event::TokensRevoked { user_id } | Event::UserSessionsEnded { user_id, .. } => user_id,
        Event::Resync => {
            generation.fetch_add(1, Ordering::AcqRel);
            owners.invalidate_all();
            return;
        }
        Event::PagesChanged | Event::SessionChanged(_) => return,
    };
    generation.fetch_add(1, Ordering::AcqRel);
    if let Err(err) = owners.invalidate_entries_if(move |_, owner| owner.user_id == user_id) {
        // Not expected (the cache supports predicates); dropping everything is still correct.
        tracing::warn!(error = %err, "token cache: dropping every entry");
        owners.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(user_id: i64, expires_in_secs: Option<i64>) -> TokenOwner {
        TokenOwner {
            token_id: user_id * 10,
            user_id,
            email: format!("{user_id}@example.org"),
            is_staff: false,
            can_write: true,
            expires_at: expires_in_secs.map(|secs| Utc::now() + chrono::Duration::seconds(secs)),
            last_used_at: None,
        }
    }

    #[tokio::test]
    async fn entries_go_when_their_token_expires_or_their_user_is_announced() {
        let cluster = Cluster::alone();
        let cache = TokenCache::new(cluster.clone());
        cache.put("a", owner(1, None), cache.generation());
        cache.put("b", owner(2, Some(60)), cache.generation());
        cache.put("old", owner(3, Some(-1)), cache.generation());
        assert!(cache.get("a").is_some() && cache.get("b").is_some());
        assert!(
            cache.get("old").is_none(),
            "an expired token is never served from the cache"
        );

        cluster.announce(Event::TokensRevoked { user_id: 1 }).await;
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some(), "only that user's tokens go");
        let ended = Event::UserSessionsEnded {
            user_id: 2,
            keep: None,
        };
        cluster.announce(ended).await;
        assert!(cache.get("b").is_none());
    }

    #[tokio::test]
    async fn a_lookup_that_raced_an_announcement_is_not_kept() {
        let cluster = Cluster::alone();
        let cache = TokenCache::new(cluster.clone());
        let before = cache.generation();
        cluster.announce(Event::TokensRevoked { user_id: 1 }).await;
        cache.put("a", owner(1, None), before);
        assert!(cache.get("a").is_none());
    }
}
