//! The admin toolkit: what every resource page shares, so a resource module keeps only its
//! fields, validation, columns and wording.
//! - [`list`]: the query string of a list page, and the links of its headers, filters, pager.
//! - [`bulk`]: bulk actions on a list's selected objects, confirmed first.
//! - [`confirm`]: the page that asks before a delete or a bulk action.
//! - [`delete`]: deleting one object, with its confirmation and audit entry.
//! - [`history`]: an object's audit entries, its "History" page.
//! - [`image_form`]: the save of a form with an image.
//! - here: audited writes, bulk selections, small responses.

pub mod bulk;
pub mod confirm;
pub mod delete;
pub mod history;
pub mod image_form;
pub mod list;

use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::audit_entries::{self, Actor, Entry};
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};
use serde::Deserialize;

use super::Staff;
use crate::error::AppResult;
use crate::layout::PageContext;
use crate::session::RequestContext;
use crate::session::flash::{self, Flash, Level};

/// An admin resource: the list its objects are on, and how one is found.
pub trait Resource {
    type Row: Sync;
    /// The list (`/admin/items/`); an object's page is `<list><id>/`.
    const LIST: &'static str;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<Self::Row>, DbErr>;

    fn id(row: &Self::Row) -> i64;
}

/// Object `id` of `R`, or the admin's 404 page.
pub async fn found<R: Resource>(ctx: &RequestContext, id: i64) -> AppResult<R::Row> {
    or_not_found(ctx, R::find(&ctx.state.db, id).await?).await
}

/// The page context of an admin page.
pub async fn admin_page(ctx: &RequestContext, title: impl Into<String>) -> AppResult<PageContext> {
    ctx.page(title).await
}

/// Queues an error flash (a refused action) for the next page.
pub fn flash_error(ctx: &RequestContext, message: impl Into<String>) {
    flash::push(
        &ctx.cookies,
        &ctx.state.cookie_key,
        ctx.state.settings.secure_cookies,
        Flash {
            level: Level::Error,
            message: message.into(),
        },
    );
}

/// `found`, or the admin's 404 page (unknown ids look the same as ids of other kinds).
pub async fn or_not_found<T>(ctx: &RequestContext, found: Option<T>) -> AppResult<T> {
    match found {
        Some(found) => Ok(found),
        None => Err(ctx.not_found().await),
    }
}

/// 303 to `to` (after a POST, the browser follows with a GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Writes the audit entry of a change into the change's transaction and commits both, so
/// there is never a change without its entry nor an entry without its change.
pub async fn commit_audited(txn: DatabaseTransaction, actor: &Actor, entry: Entry<'_>) -> AppResult<()> {
    audit_entries::record(&txn, actor, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Runs `change` in a transaction and commits it with its audit `entry` when it changed a
/// row; returns whether it did (when not, nothing is written).
pub async fn change_audited(
    staff: &Staff,
    entry: Entry<'_>,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> Result<bool, DbErr>,
) -> AppResult<bool> {
    let txn = folio_db::begin_write(&staff.ctx.state.db).await?;
    if !change(&txn).await? {
        return Ok(false);
    }
    commit_audited(txn, &staff.actor(), entry).await?;
    Ok(true)
}

/// The most objects one bulk action touches (two list pages' worth).
const MAX_BULK: usize = 100;

/// Positive ids from checkbox values, de-duplicated, at most [`MAX_BULK`]; junk is skipped.
pub fn parse_ids<'a>(raw: impl Iterator<Item = &'a str>) -> Vec<i64> {
    let mut ids: Vec<i64> = raw
        .filter_map(|id| id.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(MAX_BULK);
    ids
}

/// The ids as the confirmation form carries them.
pub fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The confirmed form of a bulk action: the action and the comma-separated ids.
#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub ids: String,
}

impl BulkForm {
    pub fn ids(&self) -> Vec<i64> {
        parse_ids(self.ids.split(','))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_are_parsed_leniently() {
        assert_eq!(
            parse_ids(["3", "1", "x", "-2", "3", "", "99999999999999999999"].into_iter()),
            vec![1, 3]
        );
        assert_eq!(parse_ids((1..500).map(|_| "7")), vec![7]);
    }
}
