//! Notification emails whose fate is unknown, on the item's page. A delivery is claimed
//! (`sending`) before the email goes to the mail server and marked `sent` after; a worker killed
//! in between leaves it `sending` for good, and the queue never sends it again (at most once).
//! Staff see those deliveries here and may send them again on purpose, warned that some of
//! those people may already have the email.

use axum::Router;
use axum::response::Response;
use axum::routing::post;
use chrono::Utc;
use folio_db::DatabaseConnection;
use folio_db::queries::audit_entries::Entry;
use folio_db::queries::deliveries::{self, InDoubt};
use folio_db::queries::items;

use super::Staff;
use super::toolkit::{commit_audited, flash_error, see_other};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::{Confirm, CsrfForm};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/items/{id}/deliveries/resend/", post(resend))
}

/// How long a delivery stays `sending` before it is in doubt. Sending one email takes seconds,
/// and by then the job's lease (60 s) has run out, so the worker that claimed it is gone.
pub const IN_DOUBT_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// How many of them the item's page names (the button resends them all).
const SHOWN: u64 = 20;

/// An item's deliveries in doubt, as its admin page shows them.
#[derive(Debug, Default)]
pub struct DeliveriesInDoubt {
    pub shown: Vec<InDoubt>,
    pub total: u64,
}

impl DeliveriesInDoubt {
    pub async fn of(db: &DatabaseConnection, item_id: i64) -> AppResult<Self> {
        let (shown, total) = deliveries::in_doubt(db, item_id, Utc::now() - IN_DOUBT_AFTER, SHOWN).await?;
        Ok(Self { shown, total })
    }

    /// How many are in doubt but not named on the page.
    pub fn not_shown(&self) -> u64 {
        self.total.saturating_sub(self.shown.len() as u64)
    }
}

/// Puts the item's deliveries in doubt back in the queue, with the audit entry.
async fn resend(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let Some(item) = items::find(&ctx.state.db, id).await? else {
        return Err(ctx.not_found().await);
    };
    let back = format!("/admin/items/{id}/");
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let ids = deliveries::retry_in_doubt(&txn, id, Utc::now() - IN_DOUBT_AFTER).await?;
    if ids.is_empty() {
        flash_error(&ctx, "No notification email of this item is in doubt any more.");
        return Ok(see_other(&back));
    }
    folio_jobs::jobs::enqueue_sends(&txn, id, &ids).await?;
    let emails = if ids.len() == 1 { "email" } else { "emails" };
    let summary = format!(
        "Sent {} notification {emails} of item “{}” again (their first sending's outcome was unknown)",
        ids.len(),
        item.title
    );
    commit_audited(txn, &staff.actor(), Entry::new("resend", "item", id, summary)).await?;
    ctx.flash(format!(
        "{} notification {emails} queued to be sent again.",
        ids.len()
    ));
    Ok(see_other(&back))
}
