//! Subscribers: list (search by email, filter by confirmation) and delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::{email_suppression, subscriber};
use folio_db::queries::audit_entries::Entry;
use folio_db::queries::email_suppressions;
use folio_db::queries::subscribers::{self, SubscriberSort};

use super::toolkit::confirm::{ConfirmPage, DeleteOne};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Confirm, admin_page, change_audited, or_not_found, see_other};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::CsrfForm;
use crate::layout::{PageContext, ok};
use crate::session::RequestContext;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/subscribers/", get(list))
        .route("/admin/subscribers/{id}/delete/", get(show_delete).post(delete))
}

const LIST: &str = "/admin/subscribers/";

#[derive(Template)]
#[template(path = "features/admin/templates/subscribers.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<subscriber::Model>,
    /// The rows' suppressed addresses (SES reported a hard bounce or a complaint).
    suppressions: Vec<email_suppression::Model>,
}

impl ListPage {
    /// "bounced" / "complained", with SES's detail, when no mail goes to `email` any more.
    fn suppression(&self, email: &str) -> Option<String> {
        let found = self.suppressions.iter().find(|s| s.email == email)?;
        let state = if found.reason == "complaint" {
            "complained"
        } else {
            "bounced"
        };
        Some(format!("{state}: {}", found.detail))
    }
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("email", SubscriberSort::Email),
            ("created_at", SubscriberSort::CreatedAt),
            ("confirmed_at", SubscriberSort::ConfirmedAt),
        ],
        ("created_at", true),
    );
    let confirmed = query.choice("confirmed", &["yes", "no"]);
    let found = subscribers::list(
        &staff.ctx.state.db,
        confirmed.map(|value| value == "yes"),
        &query.request(&sort),
    )
    .await?;
    let view = ListView::new(LIST, &query, &sort, &found).with_filter("confirmed", confirmed);
    let emails: Vec<String> = found.rows.iter().map(|row| row.email.clone()).collect();
    let suppressions = email_suppressions::among(&staff.ctx.state.db, &emails).await?;
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Subscribers").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![Filter::new(
            "confirmed",
            "Confirmed",
            &[("Yes", "yes"), ("No", "no")],
        )],
        rows: found.rows,
        suppressions,
    }))
}

async fn found(ctx: &RequestContext, id: i64) -> AppResult<subscriber::Model> {
    or_not_found(ctx, subscribers::find(&ctx.state.db, id).await?).await
}

async fn show_delete(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let subscriber = found(&staff.ctx, id).await?;
    let delete = DeleteOne::new(
        LIST,
        id,
        "subscriber",
        format!(
            "{} will be deleted and receive no more notifications (with their delivery records).",
            subscriber.email
        ),
    );
    ConfirmPage::delete_one(&staff, delete).await
}

async fn delete(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let subscriber = found(&ctx, id).await?;
    let entry = Entry::new(
        "delete",
        "subscriber",
        id,
        format!("Deleted subscriber {}", subscriber.email),
    );
    if !change_audited(&staff, entry, async |txn| subscribers::delete(txn, id).await).await? {
        return Err(ctx.not_found().await);
    }
    ctx.flash(format!("The subscriber {} was deleted.", subscriber.email));
    Ok(see_other(LIST))
}
