//! The fan-out after an item is published: one pending delivery per confirmed subscriber,
//! then one `send_notifications` job per batch of deliveries, all in one transaction. Run
//! again (a retry), it adds only the deliveries still missing, and any duplicate batch job it
//! enqueues finds its deliveries already taken.

use serde::{Deserialize, Serialize};

use super::send_notifications::{BATCH_SIZE, SendNotifications};
use crate::context::JobContext;
use crate::queue::{Job, JobError, enqueue};
use folio_db::queries::deliveries;

#[derive(Debug, Serialize, Deserialize)]
pub struct NotifySubscribers {
    pub item_id: i64,
}

impl Job for NotifySubscribers {
    const KIND: &'static str = "notify_subscribers";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let txn = folio_db::begin_write(&ctx.db).await?;
        let added = deliveries::fan_out(&txn, self.item_id).await?;
        let pending = deliveries::pending_ids(&txn, self.item_id).await?;
        for batch in pending.chunks(BATCH_SIZE) {
            if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
                let job = SendNotifications {
                    item_id: self.item_id,
                    first_delivery_id: *first,
                    last_delivery_id: *last,
                };
                enqueue(&txn, &job).await?;
            }
        }
        txn.commit().await?;
        tracing::info!(
            item = self.item_id,
            added,
            pending = pending.len(),
            "notification fan-out"
        );
        Ok(())
    }
}
