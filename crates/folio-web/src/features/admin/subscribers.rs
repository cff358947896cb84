//! Subscribers: list (search by email, filter by confirmation) and delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::subscriber;
use folio_db::queries::admin::audit::{self, Entry};
use folio_db::queries::admin::{self as q, users as admin_users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::list::{Filter, ListQuery, ListView};
use super::{AdminNav, Confirm, ConfirmPage, DeleteOne, Staff, admin_page, see_other};
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
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("email", subscriber::Column::Email),
            ("created_at", subscriber::Column::CreatedAt),
            ("confirmed_at", subscriber::Column::ConfirmedAt),
        ],
        ("created_at", true),
    );
    let confirmed = query.choice("confirmed", &["yes", "no"]);
    let mut select = subscriber::Entity::find();
    if let Some(value) = confirmed {
        select = select.filter(subscriber::Column::Confirmed.eq(value == "yes"));
    }
    let search = query.search();
    if !search.is_empty() {
        select = select.filter(q::search(&[subscriber::Column::Email], &search));
    }
    let found = q::page_of(
        &staff.ctx.state.db,
        select,
        sort.order(),
        subscriber::Column::Id,
        query.page(),
    )
    .await?;
    let view = ListView::new(LIST, &query, &sort, &found).with_filter("confirmed", confirmed);
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
    }))
}

async fn found(ctx: &RequestContext, id: i64) -> AppResult<subscriber::Model> {
    match subscriber::Entity::find_by_id(id).one(&ctx.state.db).await? {
        Some(found) => Ok(found),
        None => Err(ctx.not_found().await),
    }
}

async fn show_delete(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let subscriber = found(&staff.ctx, id).await?;
    let delete = DeleteOne {
        list: LIST,
        id,
        noun: "subscriber",
        crumb: None,
        line: format!(
            "{} will be deleted and receive no more notifications (with their delivery records).",
            subscriber.email
        ),
        refusal: None,
        button: "Yes, delete",
    };
    ConfirmPage::delete_one(&staff, delete).await
}

async fn delete(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let subscriber = found(&ctx, id).await?;
    let txn = ctx.state.db.begin().await?;
    if !admin_users::delete_subscriber(&txn, id).await? {
        return Err(ctx.not_found().await);
    }
    let entry = Entry {
        action: "delete",
        object_type: "subscriber",
        object_id: Some(id),
        summary: format!("Deleted subscriber {}", subscriber.email),
    };
    audit::record(&txn, &staff.actor(), entry).await?;
    txn.commit().await?;
    ctx.flash(format!("The subscriber {} was deleted.", subscriber.email));
    Ok(see_other(LIST))
}
