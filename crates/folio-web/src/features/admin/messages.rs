//! Contact messages: list, detail (the staff email links to it) and delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::contact_message;
use folio_db::queries::audit_entries::Entry;
use folio_db::queries::contact_messages::{self, MessageSort};

use super::toolkit::confirm::{ConfirmPage, DeleteOne};
use super::toolkit::list::{ListQuery, ListView};
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
        .route("/admin/contact-messages/", get(list))
        .route("/admin/contact-messages/{id}/", get(show))
        .route(
            "/admin/contact-messages/{id}/delete/",
            get(show_delete).post(delete),
        )
}

const LIST: &str = "/admin/contact-messages/";

#[derive(Template)]
#[template(path = "features/admin/templates/messages.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
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
    let found = contact_messages::list(&staff.ctx.state.db, &query.request(&sort)).await?;
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Contact messages").await?,
        nav: AdminNav::new(LIST, &[]),
        view: ListView::new(LIST, &query, &sort, &found),
        rows: found.rows,
    }))
}

async fn found(ctx: &RequestContext, id: i64) -> AppResult<contact_message::Model> {
    or_not_found(ctx, contact_messages::find(&ctx.state.db, id).await?).await
}

#[derive(Template)]
#[template(path = "features/admin/templates/message.html")]
struct MessagePage {
    page: PageContext,
    nav: AdminNav,
    message: contact_message::Model,
}

async fn show(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let message = found(&staff.ctx, id).await?;
    Ok(ok(&MessagePage {
        page: admin_page(&staff.ctx, message.subject.clone()).await?,
        nav: AdminNav::new(LIST, &[(&message.subject, "")]),
        message,
    }))
}

async fn show_delete(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let message = found(&staff.ctx, id).await?;
    let delete = DeleteOne::new(
        LIST,
        id,
        "message",
        format!(
            "The message “{}” from {} will be deleted.",
            message.subject, message.email
        ),
    )
    .named(&message.subject);
    ConfirmPage::delete_one(&staff, delete).await
}

async fn delete(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let message = found(&ctx, id).await?;
    let entry = Entry::new(
        "delete",
        "contact_message",
        id,
        format!("Deleted message “{}” from {}", message.subject, message.email),
    );
    if !change_audited(&staff, entry, async |txn| contact_messages::delete(txn, id).await).await? {
        return Err(ctx.not_found().await);
    }
    ctx.flash("The message was deleted.");
    Ok(see_other(LIST))
}
