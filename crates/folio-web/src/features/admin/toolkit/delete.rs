//! Deleting one object: the confirmation page (`GET <list><id>/delete/`) and the delete
//! itself (`POST`), in one transaction with its audit entry. A resource says what is its own
//! through [`Deletable`] and routes both handlers for its type.

use axum::response::Response;
use folio_db::queries::audit_entries::{Actor, Entry};

use crate::state::AppState;
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::super::Staff;
use super::confirm::{ConfirmPage, DeleteOne};
use super::history::Audited;
use super::{commit_audited, flash_error, found, see_other};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::{Confirm, CsrfForm};

/// What became of a delete.
pub enum Deleted {
    Yes,
    /// The row was already gone: the 404 page.
    Gone,
    /// The object can't go (yet); the message says why, on the object's page.
    Refused(String),
}

/// A resource whose objects staff delete one at a time.
pub trait Deletable: Audited {
    /// The kind of object: the confirmation's heading reads "Delete <noun>".
    const NOUN: &'static str;
    /// Whether the public site shows these objects (its cache is cleared after a delete).
    const ON_SITE: bool = false;

    /// The object's name in the breadcrumb, for objects with a page of their own.
    fn name(row: &Self::Row) -> Option<String>;

    /// The confirmation's line: what will go.
    fn warning(row: &Self::Row) -> String;

    /// Why the object can't be deleted now, if it can't: shown instead of the button.
    async fn refusal(_db: &DatabaseConnection, _row: &Self::Row) -> Result<Option<String>, DbErr> {
        Ok(None)
    }

    /// The objects that keep this one from being deleted, as (label, link), listed under the
    /// refusal.
    async fn blockers(_db: &DatabaseConnection, _row: &Self::Row) -> Result<Vec<(String, String)>, DbErr> {
        Ok(Vec::new())
    }

    /// Deletes the row (and what goes with it) in the caller's transaction.
    async fn delete(txn: &DatabaseTransaction, row: &Self::Row) -> Result<Deleted, DbErr>;

    /// The audit entry's summary.
    fn summary(row: &Self::Row) -> String;

    /// What the person is told after the delete.
    fn deleted(row: &Self::Row) -> String;
}

/// `GET <list><id>/delete/`: what will go, and the button.
pub async fn show_delete<R: Deletable>(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let row = found::<R>(&staff.ctx, id).await?;
    let name = R::name(&row);
    let delete = DeleteOne {
        list: R::LIST,
        id,
        noun: R::NOUN,
        crumb: name.as_deref(),
        line: R::warning(&row),
        refusal: R::refusal(&staff.ctx.state.db, &row).await?,
        blockers: R::blockers(&staff.ctx.state.db, &row).await?,
    };
    ConfirmPage::delete_one(&staff, delete).await
}

/// `POST <list><id>/delete/`: the delete and its audit entry, then back to the list.
pub async fn delete<R: Deletable>(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let row = found::<R>(&ctx, id).await?;
    match delete_audited::<R>(&ctx.state, &staff.actor(), &row).await? {
        Deleted::Yes => {}
        Deleted::Gone => return Err(ctx.not_found().await),
        Deleted::Refused(why) => {
            flash_error(&ctx, why);
            return Ok(see_other(&format!("{}{id}/", R::LIST)));
        }
    }
    ctx.flash(R::deleted(&row));
    Ok(see_other(R::LIST))
}

/// Deletes `row` with its audit entry in one transaction (the admin's delete and the API's),
/// then clears the public cache when the site showed it. Nothing is written unless it went.
pub async fn delete_audited<R: Deletable>(
    state: &AppState,
    actor: &Actor,
    row: &R::Row,
) -> AppResult<Deleted> {
    let txn = folio_db::begin_write(&state.db).await?;
    let deleted = R::delete(&txn, row).await?;
    if !matches!(deleted, Deleted::Yes) {
        return Ok(deleted);
    }
    let entry = Entry::new("delete", R::OBJECT_TYPE, R::id(row), R::summary(row));
    commit_audited(txn, actor, entry).await?;
    if R::ON_SITE {
        state.site_cache.content_changed().await;
    }
    Ok(Deleted::Yes)
}

/// A delete that changed one row or none.
pub fn deleted_if(changed: bool) -> Deleted {
    if changed { Deleted::Yes } else { Deleted::Gone }
}
