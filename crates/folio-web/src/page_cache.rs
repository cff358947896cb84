//! The rendered-page cache of the public site.
//!
//! Anonymous page views are rendered once and kept here with their ETag; content writes (the
//! admin panel, a scheduled item going live) call [`SiteCache::content_changed`] after they
//! commit, which empties this process's cache and tells the other instances to empty theirs
//! (see [`crate::cluster`]). Content changes rarely, so dropping everything is simpler than
//! tracking which pages show what, and just as fast in practice. [`TIME_TO_LIVE`] is only a
//! backstop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

use crate::cluster::{Cluster, Event};

/// The longest a page stays cached, whatever else happens.
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
    /// Bumped whenever the cache is emptied: a page rendered before the bump is not kept, since
    /// it may show what the change replaced.
    generation: Arc<AtomicU64>,
    cluster: Cluster,
}

/// When a page was rendered, in cache generations (see [`SiteCache::generation`]).
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

impl Default for SiteCache {
    fn default() -> Self {
        Self::new(Cluster::alone())
    }
}

impl SiteCache {
    /// A cache that empties itself when `cluster` hears of a content change elsewhere.
    pub fn new(cluster: Cluster) -> Self {
        let cache = Self {
            pages: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            generation: Arc::new(AtomicU64::new(0)),
            cluster: cluster.clone(),
        };
        // The listener holds the pages, not the cache: the cache holds the cluster, and a cycle
        // would keep both alive.
        let (pages, generation) = (cache.pages.clone(), cache.generation.clone());
        cluster.listen(Arc::new(move |event| {
            if matches!(event, Event::PagesChanged | Event::Resync) {
                empty(&pages, &generation);
            }
        }));
        cache
    }

    /// The cached page at `key`, unless the copies of this process can't be trusted now.
    pub async fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = if self.cluster.local_copies_trusted() {
            self.pages.get(key).await
        } else {
            None
        };
        let result = if page.is_some() { "hit" } else { "miss" };
        metrics::counter!("folio_page_cache_total", "result" => result).increment(1);
        page
    }

    /// Read before rendering a page that [`Self::insert`] may keep.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Keeps `page`, rendered at `rendered_at`, unless the cache was emptied since.
    pub async fn insert(&self, key: String, page: Arc<CachedPage>, rendered_at: Generation) {
        if self.generation.load(Ordering::Acquire) != rendered_at.0 {
            return;
        }
        self.pages.insert(key, page).await;
    }

    /// Forgets every page of this process.
    pub fn invalidate_all(&self) {
        empty(&self.pages, &self.generation);
    }

    /// After a write to what the site shows commits: empties this cache and every other
    /// instance's.
    pub async fn content_changed(&self) {
        self.invalidate_all();
        self.cluster.announce(Event::PagesChanged).await;
    }
}

fn empty(pages: &Cache<String, Arc<CachedPage>>, generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::AcqRel);
    pages.invalidate_all();
}
