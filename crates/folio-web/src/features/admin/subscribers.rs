//! Subscribers: list (search by email, filter by confirmation) and delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::{email_suppression, subscriber};
use folio_db::queries::email_suppressions;
use folio_db::queries::subscribers::{self, SubscriberSort};
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::toolkit::Resource;
use super::toolkit::admin_page;
use super::toolkit::bulk::{BulkDelete, bulk, show_bulk};
use super::toolkit::delete::{Deletable, Deleted, delete, deleted_if, show_delete};
use super::toolkit::history::Audited;
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::layout::{PageContext, ok};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/subscribers/", get(list))
        .route(
            "/admin/subscribers/bulk/",
            get(show_bulk::<Subscribers>).post(bulk::<Subscribers>),
        )
        .route(
            "/admin/subscribers/{id}/delete/",
            get(show_delete::<Subscribers>).post(delete::<Subscribers>),
        )
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

/// Deleting a subscriber (the notifications they were sent stay counted on their items).
struct Subscribers;

impl Resource for Subscribers {
    type Row = subscriber::Model;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<subscriber::Model>, DbErr> {
        subscribers::find(db, id).await
    }

    fn id(subscriber: &subscriber::Model) -> i64 {
        subscriber.id
    }
}

impl Audited for Subscribers {
    const OBJECT_TYPE: &'static str = "subscriber";

    fn title(subscriber: &subscriber::Model) -> String {
        subscriber.email.clone()
    }
}

impl Deletable for Subscribers {
    const NOUN: &'static str = "subscriber";

    fn name(_subscriber: &subscriber::Model) -> Option<String> {
        None // no page of its own
    }

    fn warning(subscriber: &subscriber::Model) -> String {
        format!(
            "{} will be deleted and receive no more notifications (those already sent stay counted on their items).",
            subscriber.email
        )
    }

    async fn delete(txn: &DatabaseTransaction, subscriber: &subscriber::Model) -> Result<Deleted, DbErr> {
        Ok(deleted_if(subscribers::delete(txn, subscriber.id).await?))
    }

    fn summary(subscriber: &subscriber::Model) -> String {
        format!("Deleted subscriber {}", subscriber.email)
    }

    fn deleted(subscriber: &subscriber::Model) -> String {
        format!("The subscriber {} was deleted.", subscriber.email)
    }
}

impl BulkDelete for Subscribers {
    const NOUNS: (&'static str, &'static str) = ("subscriber", "subscribers");

    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<subscriber::Model>, DbErr> {
        subscribers::find_many(db, ids).await
    }
}
