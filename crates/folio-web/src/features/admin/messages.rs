//! Contact messages: list (unread ones marked, and a read/unread filter), detail (the staff
//! email links to it; opening a message marks it read), mark unread, and delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::entities::contact_message;
use folio_db::queries::contact_messages::{self, MessageSort};
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::toolkit::bulk::{BulkDelete, bulk, show_bulk};
use super::toolkit::delete::{Deletable, Deleted, delete, deleted_if, show_delete};
use super::toolkit::history::{Audited, show_history};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Resource, admin_page, found, see_other};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::{Confirm, CsrfForm};
use crate::layout::{PageContext, ok};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/contact-messages/bulk/",
            get(show_bulk::<Messages>).post(bulk::<Messages>),
        )
        .route(
            "/admin/contact-messages/{id}/history/",
            get(show_history::<Messages>),
        )
        .route("/admin/contact-messages/", get(list))
        .route("/admin/contact-messages/{id}/", get(show))
        .route("/admin/contact-messages/{id}/unread/", post(mark_unread))
        .route(
            "/admin/contact-messages/{id}/delete/",
            get(show_delete::<Messages>).post(delete::<Messages>),
        )
}

const LIST: &str = "/admin/contact-messages/";

#[derive(Template)]
#[template(path = "features/admin/templates/messages.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<contact_message::Model>,
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("created_at", MessageSort::CreatedAt),
            ("subject", MessageSort::Subject),
            ("email", MessageSort::Email),
            ("name", MessageSort::Name),
        ],
        ("created_at", true),
    );
    let read = query.choice("read", &["yes", "no"]);
    let found = contact_messages::list(
        &staff.ctx.state.db,
        read.map(|value| value == "yes"),
        &query.request(&sort),
    )
    .await?;
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Contact messages").await?,
        nav: AdminNav::new(LIST, &[]),
        view: ListView::new(LIST, &query, &sort, &found).with_filter("read", read),
        filters: vec![Filter::new(
            "read",
            "By status",
            &[("Unread", "no"), ("Read", "yes")],
        )],
        rows: found.rows,
    }))
}

#[derive(Template)]
#[template(path = "features/admin/templates/message.html")]
struct MessagePage {
    page: PageContext,
    nav: AdminNav,
    message: contact_message::Model,
}

/// Shows a message and marks it read: staff open it to read it, like a mail client.
async fn show(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let mut message = found::<Messages>(&staff.ctx, id).await?;
    if message.read_at.is_none() {
        let now = chrono::Utc::now();
        if contact_messages::mark_read(&staff.ctx.state.db, id, true, now).await? {
            message.read_at = Some(now);
        }
    }
    Ok(ok(&MessagePage {
        page: admin_page(&staff.ctx, message.subject.clone()).await?,
        nav: AdminNav::new(LIST, &[(&message.subject, "")]),
        message,
    }))
}

/// Marks a message unread again (to come back to it), back on the list.
async fn mark_unread(
    _staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let message = found::<Messages>(&ctx, id).await?;
    contact_messages::mark_read(&ctx.state.db, id, false, chrono::Utc::now()).await?;
    ctx.flash(format!("“{}” is marked unread.", message.subject));
    Ok(see_other(LIST))
}

/// Deleting a message.
struct Messages;

impl Resource for Messages {
    type Row = contact_message::Model;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<contact_message::Model>, DbErr> {
        contact_messages::find(db, id).await
    }

    fn id(message: &contact_message::Model) -> i64 {
        message.id
    }
}

impl Audited for Messages {
    const OBJECT_TYPE: &'static str = "contact_message";

    fn title(message: &contact_message::Model) -> String {
        message.subject.clone()
    }
}

impl Deletable for Messages {
    const NOUN: &'static str = "message";

    fn name(message: &contact_message::Model) -> Option<String> {
        Some(message.subject.clone())
    }

    fn warning(message: &contact_message::Model) -> String {
        format!(
            "The message “{}” from {} will be deleted.",
            message.subject, message.email
        )
    }

    async fn delete(txn: &DatabaseTransaction, message: &contact_message::Model) -> Result<Deleted, DbErr> {
        Ok(deleted_if(contact_messages::delete(txn, message.id).await?))
    }

    fn summary(message: &contact_message::Model) -> String {
        format!("Deleted message “{}” from {}", message.subject, message.email)
    }

    fn deleted(_message: &contact_message::Model) -> String {
        "The message was deleted.".to_owned()
    }
}

impl BulkDelete for Messages {
    const NOUNS: (&'static str, &'static str) = ("message", "messages");

    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<contact_message::Model>, DbErr> {
        contact_messages::find_many(db, ids).await
    }
}
