//! View counts, buffered in memory and written in batches.
//!
//! A page view adds one to a per-item counter in memory; a background task adds the counters
//! to `items.view_count` every [`FLUSH_EVERY`], one `UPDATE` per item that was viewed, in one
//! transaction. A popular item costs one row update per interval instead of one per view.
//! What a crash loses is at most one interval's views; a graceful shutdown flushes first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use folio_db::queries::items;
use folio_db::{DatabaseConnection, DbErr};

pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// Views not yet written, by item id. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ViewCounter {
    pending: Arc<Mutex<HashMap<i64, i64>>>,
}

impl ViewCounter {
    pub fn record(&self, item_id: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *pending.entry(item_id).or_insert(0) += 1;
    }

    /// Writes the buffered views; on failure they are put back for the next flush.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if batch.is_empty() {
            return Ok(0);
        }
        match write(db, &batch).await {
            Ok(()) => Ok(batch.len()),
            Err(err) => {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                for (id, views) in batch {
                    *pending.entry(id).or_insert(0) += views;
                }
                Err(err)
            }
        }
    }

    /// Flushes every [`FLUSH_EVERY`] until the app stops.
    pub async fn flush_periodically(self, db: DatabaseConnection) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(err) = self.flush(&db).await {
                tracing::warn!(error = %err, "could not write view counts; will retry");
            }
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &HashMap<i64, i64>) -> Result<(), DbErr> {
    let txn = folio_db::begin_write(db).await?;
    // In id order, so two processes flushing at once lock rows in the same order.
    let mut ids: Vec<_> = batch.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let views = batch.get(&id).copied().unwrap_or(0);
        items::add_views(&txn, id, views).await?;
    }
    txn.commit().await
}
