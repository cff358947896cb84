//! Sends a batch of notification emails, at most once each.
//!
//! For every delivery: wait for the send rate, then commit `pending → sending` (only one
//! worker can win that update), then hand the message to the mail server, then record `sent`.
//! A worker that dies after the first commit leaves the delivery `sending`, and a retry skips
//! it: a lost email is possible in that window, a duplicate is not. A temporary (4xx) refusal
//! means the server did not take the message, so the delivery goes back to `pending` and the
//! job is retried; a permanent refusal or an unknown outcome (a connection dropped mid-send)
//! marks it `failed`. Up to `SENDS_IN_FLIGHT` deliveries of a batch are sent at once, each on
//! its own pooled connection; the guarantee holds for each delivery on its own.

use std::collections::HashMap;

use folio_db::entities::{email_suppression, item};
use folio_db::queries::deliveries::{self, PendingDelivery};
use folio_db::queries::{categories, items};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};

use super::render_error;
use crate::context::{JobContext, held_back};
use crate::email;
use crate::mailer::{Email, Mailer};
use crate::queue::{Job, JobError};
use crate::site_urls;

/// Deliveries per `send_notifications` job: small enough that a job finishes well inside
/// its lease at SES-like rates, large enough that 10,000 subscribers make 100 jobs.
pub const BATCH_SIZE: usize = 100;

/// Messages of one batch on their way at once. Sending one message costs a few round trips
/// (and, with lettre's small final write, often a delayed ACK of ~40 ms), so a batch sent one
/// by one is bound by latency, not by the server. The rate limit still applies across them.
pub const SENDS_IN_FLIGHT: usize = 8;

#[derive(Debug, Serialize, Deserialize)]
pub struct SendNotifications {
    pub item_id: i64,
    pub first_delivery_id: i64,
    pub last_delivery_id: i64,
}

impl Job for SendNotifications {
    const KIND: &'static str = "send_notifications";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let Some(item) = items::find(&ctx.db, self.item_id).await? else {
            return Ok(()); // deleted since: its deliveries went with it
        };
        if !item.is_published() {
            return Ok(()); // unpublished since; publishing again enqueues a new fan-out
        }
        let Some(category) = categories::find(&ctx.db, item.category_id).await? else {
            return Ok(());
        };
        let batch = deliveries::pending_in_range(
            &ctx.db,
            self.item_id,
            self.first_delivery_id,
            self.last_delivery_id,
        )
        .await?;
        if batch.is_empty() {
            return Ok(());
        }
        // Fail early, before any delivery is taken, when the mail server can't be reached.
        ctx.mailer
            .check()
            .await
            .map_err(|err| JobError::Retry(format!("mail server unavailable: {err}")))?;
        let item_url = site_urls::absolute(&ctx.base_url, &site_urls::item(&category.slug, &item.slug));
        let recipients: Vec<String> = batch.iter().map(|delivery| delivery.email.clone()).collect();
        let suppressed = &ctx.suppressions_among(&recipients).await?;
        // Owned deliveries: a closure over `&PendingDelivery` would be generic over the
        // reference's lifetime, which the `Send` bound of a job's future can't be proved for.
        let (item, item_url) = (&item, item_url.as_str());
        let outcomes: Vec<Result<Sent, JobError>> = stream::iter(batch)
            .map(|delivery| async move { deliver(ctx, item, item_url, suppressed, &delivery).await })
            .buffer_unordered(SENDS_IN_FLIGHT)
            .collect()
            .await;
        let mut refused_temporarily = 0;
        for outcome in outcomes {
            if outcome? == Sent::RefusedTemporarily {
                refused_temporarily += 1;
            }
        }
        if refused_temporarily > 0 {
            return Err(JobError::Retry(format!(
                "{refused_temporarily} notifications refused temporarily"
            )));
        }
        Ok(())
    }
}

/// What became of one delivery.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    Delivered,
    /// Taken by another worker before this one could start it.
    Skipped,
    /// Given back as pending: the job must be retried.
    RefusedTemporarily,
    Failed,
}

/// Sends one delivery, at most once: `pending → sending` is committed before the SMTP send.
/// Every started send runs to the end (the batch waits for all of them), so a database error
/// in one delivery never abandons another mid-send.
async fn deliver(
    ctx: &JobContext,
    item: &item::Model,
    item_url: &str,
    suppressed: &HashMap<String, email_suppression::Model>,
    delivery: &PendingDelivery,
) -> Result<Sent, JobError> {
    ctx.email_rate.acquire().await;
    if !deliveries::start_sending(&ctx.db, delivery.id).await? {
        return Ok(Sent::Skipped); // another worker has it, or had it
    }
    let email = notification(ctx, item, item_url, delivery)?;
    if let Some(suppression) = suppressed.get(&delivery.email) {
        let why = held_back(suppression, &email.subject);
        deliveries::mark_failed(&ctx.db, delivery.id, &why).await?;
        return Ok(Sent::Failed);
    }
    match ctx.mailer.send(&email).await {
        Ok(()) => {
            deliveries::mark_sent(&ctx.db, delivery.id).await?;
            Ok(Sent::Delivered)
        }
        Err(err) if Mailer::refused_temporarily(&err) => {
            deliveries::give_back(&ctx.db, delivery.id, &err.to_string()).await?;
            Ok(Sent::RefusedTemporarily)
        }
        Err(err) => {
            tracing::warn!(delivery = delivery.id, error = %err, "notification not delivered");
            deliveries::mark_failed(&ctx.db, delivery.id, &err.to_string()).await?;
            Ok(Sent::Failed)
        }
    }
}

fn notification(
    ctx: &JobContext,
    item: &item::Model,
    item_url: &str,
    delivery: &PendingDelivery,
) -> Result<Email, JobError> {
    let unsubscribe_url = site_urls::absolute(&ctx.base_url, &site_urls::unsubscribe(&delivery.token));
    email::Notification {
        site_name: &ctx.site.name,
        title: &item.title,
        summary: &item.summary,
        item_url,
        unsubscribe_url: &unsubscribe_url,
    }
    .render(&delivery.email)
    .map_err(render_error)
}
