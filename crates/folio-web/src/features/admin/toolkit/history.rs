//! An object's history (`GET <list><id>/history/`): the audit entries about it, oldest first,
//! as the Django admin's "History" shows them.

use askama::Template;
use axum::response::Response;
use folio_db::entities::audit_entry;
use folio_db::queries::audit_entries;

use super::super::{AdminNav, Staff};
use super::{Resource, admin_page, found};
use crate::error::AppResult;
use crate::features::PathId;
use crate::layout::{PageContext, ok};

/// A resource whose writes the audit log records under `OBJECT_TYPE`.
pub trait Audited: Resource {
    /// The audit log's object type.
    const OBJECT_TYPE: &'static str;

    /// How the object is named in headings and breadcrumbs.
    fn title(row: &Self::Row) -> String;
}

#[derive(Template)]
#[template(path = "features/admin/templates/history.html")]
struct HistoryPage {
    page: PageContext,
    nav: AdminNav,
    heading: String,
    object: String,
    entries: Vec<audit_entry::Model>,
}

/// `GET <list><id>/history/`.
pub async fn show_history<R: Audited>(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let row = found::<R>(&staff.ctx, id).await?;
    let title = R::title(&row);
    let object = format!("{}{id}/", R::LIST);
    let entries = audit_entries::for_object(&staff.ctx.state.db, R::OBJECT_TYPE, id).await?;
    let heading = format!("History: {title}");
    Ok(ok(&HistoryPage {
        page: admin_page(&staff.ctx, heading.clone()).await?,
        nav: AdminNav::new(R::LIST, &[(&title, &object), ("History", "")]),
        heading,
        object,
        entries,
    }))
}
