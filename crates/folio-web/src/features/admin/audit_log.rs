//! The audit log, read-only: search, filters by action and object type, newest first.

use askama::Template;
use axum::extract::RawQuery;
use axum::response::Response;
use folio_db::entities::audit_entry;
use folio_db::queries::admin::Page;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::list::{Filter, ListQuery, ListView};
use super::{AdminNav, Staff, admin_page};
use crate::error::AppResult;
use crate::layout::{PageContext, ok};

const LIST: &str = "/admin/audit-log/";

const ACTIONS: &[&str] = &[
    "create",
    "update",
    "delete",
    "publish",
    "unpublish",
    "make_staff",
    "remove_staff",
    "deactivate",
    "reactivate",
    "retry",
];
const OBJECT_TYPES: &[&str] = &["category", "item", "user", "subscriber", "contact_message", "job"];

#[derive(Template)]
#[template(path = "features/admin/templates/audit_log.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<audit_entry::Model>,
}

pub async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("created_at", audit_entry::Column::CreatedAt),
            ("actor", audit_entry::Column::ActorEmail),
            ("action", audit_entry::Column::Action),
        ],
        ("created_at", true),
    );
    let action = query.choice("action", ACTIONS);
    let object_type = query.choice("object_type", OBJECT_TYPES);
    let mut select = audit_entry::Entity::find();
    if let Some(action) = action {
        select = select.filter(audit_entry::Column::Action.eq(action));
    }
    if let Some(object_type) = object_type {
        select = select.filter(audit_entry::Column::ObjectType.eq(object_type));
    }
    let searched = [audit_entry::Column::Summary, audit_entry::Column::ActorEmail];
    let found: Page<audit_entry::Model> = query
        .fetch(
            &staff.ctx.state.db,
            select,
            &searched,
            &sort,
            audit_entry::Column::Id,
        )
        .await?;
    let view = ListView::new(LIST, &query, &sort, &found)
        .with_filter("action", action)
        .with_filter("object_type", object_type);
    let labelled = |values: &[&'static str]| -> Vec<(&'static str, &'static str)> {
        values.iter().map(|v| (*v, *v)).collect()
    };
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Audit log").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![
            Filter::new("action", "By action", &labelled(ACTIONS)),
            Filter::new("object_type", "By object", &labelled(OBJECT_TYPES)),
        ],
        rows: found.rows,
    }))
}
