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
use folio_db::queries::{categories, images, items};
use folio_db::{ConnectionTrait, DbErr};
use folio_storage::images::{ImageFormat, RenditionKind};
use folio_storage::media::ImageObjects;
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};

use super::render_error;
use crate::context::{JobContext, held_back};
use crate::email;
use crate::mailer::{Email, Mailer};
use crate::queue::{Job, JobError, enqueue};
use crate::site_urls;

/// Deliveries per `send_notifications` job: small enough that a job finishes well inside
/// its lease at SES-like rates, large enough that 10,000 subscribers make 100 jobs.
pub const BATCH_SIZE: usize = 100;

/// Messages of one batch on their way at once. Sending one message costs a few round trips
/// (and, with lettre's small final write, often a delayed ACK of ~40 ms), so a batch sent one
/// by one is bound by latency, not by the server. The rate limit still applies across them.
pub const SENDS_IN_FLIGHT: usize = 8;

/// Enqueues the jobs that send `item_id`'s pending deliveries `ids` (in order), one per batch
/// of [`BATCH_SIZE`], in the caller's transaction.
pub async fn enqueue_sends(conn: &impl ConnectionTrait, item_id: i64, ids: &[i64]) -> Result<(), DbErr> {
    for batch in ids.chunks(BATCH_SIZE) {
        if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
            let job = SendNotifications {
                item_id,
                first_delivery_id: *first,
                last_delivery_id: *last,
            };
            enqueue(conn, &job).await?;
        }
    }
    Ok(())
}

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
        let image = email_image(ctx, &item).await?;
        let recipients: Vec<String> = batch.iter().map(|delivery| delivery.email.clone()).collect();
        let suppressed = &ctx.suppressions_among(&recipients).await?;
        // Owned deliveries: a closure over `&PendingDelivery` would be generic over the
        // reference's lifetime, which the `Send` bound of a job's future can't be proved for.
        let shown = &Shown { item_url, image };
        let item = &item;
        let outcomes: Vec<Result<Sent, JobError>> = stream::iter(batch)
            .map(|delivery| async move { deliver(ctx, item, shown, suppressed, &delivery).await })
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

/// What every email of the batch links to.
struct Shown {
    item_url: String,
    image: Option<EmailImage>,
}

/// The item's picture in the HTML part.
struct EmailImage {
    /// Absolute, and lasting: emails are read long after they are sent.
    url: String,
    /// At most the width of an email's column.
    width: String,
}

/// The widest an image shows in an email (the common 600-pixel layout width).
const EMAIL_IMAGE_WIDTH: u32 = 600;

/// The item's display JPEG, when it has an image and storage gives lasting URLs (local, or
/// S3 behind `FOLIO_MEDIA_BASE_URL`; presigned URLs expire, so without a base the email goes
/// without). The URL is named even before the renditions job has run: that job was queued with
/// the image, and the email is opened later.
async fn email_image(ctx: &JobContext, item: &item::Model) -> Result<Option<EmailImage>, JobError> {
    let Some(key) = &item.image_key else {
        return Ok(None);
    };
    let Some(row) = images::find(&ctx.db, key).await? else {
        return Ok(None);
    };
    let Ok(objects) = ImageObjects::at(&row.key) else {
        return Ok(None);
    };
    let Ok(jpeg) = objects.rendition(RenditionKind::Display, ImageFormat::Jpeg) else {
        return Ok(None);
    };
    let Some(url) = ctx.storage.lasting_url(&jpeg) else {
        return Ok(None);
    };
    let width = u32::try_from(row.width).unwrap_or(1).clamp(1, EMAIL_IMAGE_WIDTH);
    // Local media is served by the site itself; a CDN URL is absolute already.
    let url = if url.starts_with('/') {
        site_urls::absolute(&ctx.base_url, &url)
    } else {
        url
    };
    Ok(Some(EmailImage {
        url,
        width: width.to_string(),
    }))
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
    shown: &Shown,
    suppressed: &HashMap<String, email_suppression::Model>,
    delivery: &PendingDelivery,
) -> Result<Sent, JobError> {
    ctx.email_rate.acquire().await;
    if !deliveries::start_sending(&ctx.db, delivery.id).await? {
        return Ok(Sent::Skipped); // another worker has it, or had it
    }
    let email = notification(ctx, item, shown, delivery)?;
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
    shown: &Shown,
    delivery: &PendingDelivery,
) -> Result<Email, JobError> {
    let unsubscribe_url = site_urls::absolute(&ctx.base_url, &site_urls::unsubscribe(&delivery.token));
    email::Notification {
        site_name: &ctx.site.name,
        title: &item.title,
        summary: &item.summary,
        item_url: &shown.item_url,
        unsubscribe_url: &unsubscribe_url,
        image_url: shown.image.as_ref().map_or("", |image| image.url.as_str()),
        image_alt: item.image_description(),
        image_width: shown.image.as_ref().map_or("", |image| image.width.as_str()),
    }
    .render(&delivery.email)
    .map_err(render_error)
}
