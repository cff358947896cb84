//! Bulk actions on a list's selected objects: `GET <list>bulk/?action=…&ids=…` asks (what
//! each object will become, or why the action can't go ahead), `POST <list>bulk/` applies the
//! action to all of them in one transaction. A resource says what its actions are and do
//! through [`BulkActions`] and routes both handlers for its type.

use axum::extract::RawQuery;
use axum::response::Response;
use folio_db::{DatabaseConnection, DbErr};

use super::super::Staff;
use super::confirm::{Bulk, ConfirmPage};
use super::list::ListQuery;
use super::{BulkForm, Resource, flash_error, parse_ids, see_other};
use crate::error::AppResult;
use crate::forms::CsrfForm;
use crate::session::RequestContext;

/// What the confirmation page says before a bulk action.
pub struct Question {
    pub heading: String,
    /// The page's title when it is not the heading.
    pub title: Option<&'static str>,
    /// The breadcrumb after the list's.
    pub crumb: &'static str,
    /// One line per selected object.
    pub lines: Vec<String>,
    /// Shown instead of the button when nothing would (or may) change.
    pub refusal: Option<String>,
    pub button: &'static str,
    /// Whether the action destroys something (a red button).
    pub danger: bool,
}

/// A resource whose list has bulk actions.
pub trait BulkActions: Resource {
    type Action: Copy;
    /// The flash when the form came without objects or without a known action.
    const NOTHING_CHOSEN: &'static str;

    /// The action named `name` in the form, if it is one.
    fn action(name: &str) -> Option<Self::Action>;

    /// The action's name in the form.
    fn name(action: Self::Action) -> &'static str;

    /// The rows with these ids (ids that are gone are left out).
    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<Self::Row>, DbErr>;

    async fn question(
        db: &DatabaseConnection,
        action: Self::Action,
        rows: &[Self::Row],
    ) -> Result<Question, DbErr>;

    /// Applies `action` to `rows` in one transaction, each change with its audit entry.
    /// `Ok(message)` is the flash; `Err(refusal)` means nothing changed, and why.
    async fn apply(
        ctx: &RequestContext,
        staff: &Staff,
        action: Self::Action,
        rows: &[Self::Row],
    ) -> AppResult<Result<String, String>>;

    fn id(row: &Self::Row) -> i64;
}

/// The chosen rows and action, or `None` when either is missing.
async fn chosen<R: BulkActions>(
    ctx: &RequestContext,
    action: Option<&str>,
    ids: &[i64],
) -> AppResult<Option<(R::Action, Vec<R::Row>)>> {
    let Some(action) = action.and_then(R::action) else {
        return Ok(None);
    };
    if ids.is_empty() {
        return Ok(None);
    }
    let rows = R::find_many(&ctx.state.db, ids).await?;
    Ok((!rows.is_empty()).then_some((action, rows)))
}

/// `GET <list>bulk/`: the confirmation page.
pub async fn show_bulk<R: BulkActions>(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let ids = parse_ids(query.all("ids"));
    let Some((action, rows)) = chosen::<R>(&staff.ctx, query.get("action"), &ids).await? else {
        flash_error(&staff.ctx, R::NOTHING_CHOSEN);
        return Ok(see_other(R::LIST));
    };
    let question = R::question(&staff.ctx.state.db, action, &rows).await?;
    let bulk = Bulk {
        list: R::LIST,
        heading: question.heading,
        crumb: question.crumb,
        action: R::name(action),
        ids: rows.iter().map(R::id).collect(),
        lines: question.lines,
        refusal: question.refusal,
        button: question.button,
        danger: question.danger,
    };
    ConfirmPage::bulk(&staff, bulk, question.title).await
}

/// `POST <list>bulk/`: the action, then back to the list with what happened.
pub async fn bulk<R: BulkActions>(
    staff: Staff,
    CsrfForm { ctx, data }: CsrfForm<BulkForm>,
) -> AppResult<Response> {
    let Some((action, rows)) = chosen::<R>(&ctx, Some(&data.action), &data.ids()).await? else {
        flash_error(&ctx, R::NOTHING_CHOSEN);
        return Ok(see_other(R::LIST));
    };
    match R::apply(&ctx, &staff, action, &rows).await? {
        Ok(done) => ctx.flash(done),
        Err(refused) => flash_error(&ctx, refused),
    }
    Ok(see_other(R::LIST))
}
