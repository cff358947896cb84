//! The fan-out after an item is published: one pending delivery per confirmed subscriber,
//! then one `send_notifications` job per batch of deliveries, all in one transaction. Run
//! again (a retry), it adds only the deliveries still missing, and any duplicate batch job it
//! enqueues finds its deliveries already taken.

use serde::{Deserialize, Serialize};

use super::send_notifications::enqueue_sends;
use crate::context::JobContext;
use crate::queue::{Job, JobError};
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
        enqueue_sends(&txn, self.item_id, &pending).await?;
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
