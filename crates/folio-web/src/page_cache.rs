//! The rendered-page cache of the public site.
//!
//! Anonymous page views are rendered once and kept here with their ETag; content writes (the
//! admin panel) call [`SiteCache::invalidate_all`] after they commit. Content changes rarely,
//! so dropping everything is simpler than tracking which pages show what, and just as fast in
//! practice. Each process has its own cache: with several web tasks, the others catch up
//! within [`TIME_TO_LIVE`].

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

/// The longest a page stays cached in a process that did not see the write.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// A rendered page: its body and the strong ETag of that body.
#[derive(Debug)]
pub struct CachedPage {
    pub body: String,
    pub etag: String,
    /// The item the page shows, so a view served from the cache still counts.
    pub item_id: Option<i64>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

/// Pages keyed by path and query. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SiteCache {
    pages: Cache<String, Arc<CachedPage>>,
}

impl Default for SiteCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SiteCache {
    pub fn new() -> Self {
        Self {
            pages: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TIME_TO_LIVE)
                .build(),
        }
    }

    pub async fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.get(key).await;
        let result = if page.is_some() { "hit" } else { "miss" };
        metrics::counter!("folio_page_cache_total", "result" => result).increment(1);
        page
    }

    pub async fn insert(&self, key: String, page: Arc<CachedPage>) {
        self.pages.insert(key, page).await;
    }

    /// Forgets every page; call it after a write to categories or items commits.
    pub fn invalidate_all(&self) {
        self.pages.invalidate_all();
    }
}
