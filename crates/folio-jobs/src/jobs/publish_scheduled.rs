//! A scheduled item going live: at its time, the item becomes published and its subscribers'
//! notification is enqueued, in one transaction. The status change is conditional (still
//! scheduled, and due), so a rescheduled item's earlier job, a retry, or a second job for the
//! same time does nothing, and subscribers are notified once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::NotifySubscribers;
use crate::context::JobContext;
use crate::queue::{Job, JobError, enqueue};
use folio_db::queries::audit_entries::{self, Actor, Entry};
use folio_db::queries::items;

#[derive(Debug, Serialize, Deserialize)]
pub struct PublishScheduled {
    pub item_id: i64,
    /// The time it was scheduled for when this job was queued (for the logs; the row decides).
    pub at: DateTime<Utc>,
}

impl Job for PublishScheduled {
    const KIND: &'static str = "publish_scheduled";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let txn = folio_db::begin_write(&ctx.db).await?;
        let published = items::publish_due(&txn, self.item_id, Utc::now()).await?;
        if published {
            enqueue(
                &txn,
                &NotifySubscribers {
                    item_id: self.item_id,
                },
            )
            .await?;
            let title = items::find(&txn, self.item_id)
                .await?
                .map_or_else(String::new, |item| item.title);
            let entry = Entry::new(
                "publish",
                "item",
                self.item_id,
                format!("Published item “{title}” at its scheduled time"),
            );
            audit_entries::record(&txn, &Actor::folio(), entry).await?;
        }
        txn.commit().await?;
        if published {
            ctx.site_changed.notify().await;
        }
        tracing::info!(
            item = self.item_id,
            scheduled_for = %self.at,
            published,
            "scheduled publication"
        );
        Ok(())
    }
}
