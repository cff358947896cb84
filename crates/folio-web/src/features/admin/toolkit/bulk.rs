//! Bulk actions on a list's selected objects: `GET <list>bulk/?action=…&ids=…` asks (what
//! each object will become, or why the action can't go ahead), `POST <list>bulk/` applies the
//! action to all of them in one transaction. A resource says what its actions are and do
//! through [`BulkActions`] and routes both handlers for its type.

use axum::extract::RawQuery;
use axum::response::Response;
use folio_db::queries::audit_entries::{self, Entry};
use folio_db::{DatabaseConnection, DbErr};

use super::super::Staff;
use super::confirm::{Bulk, ConfirmPage};
use super::delete::{Deletable, Deleted};
use super::list::ListQuery;
use super::{BulkForm, Resource, flash_error, parse_ids, see_other};
use crate::error::AppResult;
use crate::forms::CsrfForm;
use crate::session::RequestContext;

/// What the confirmation page says before a bulk action.
pub struct Question {
    pub heading: String,
    /// The page's title when it is not the heading.
    pub title: Option<String>,
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
    fn nothing_chosen() -> String;

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
        flash_error(&staff.ctx, R::nothing_chosen());
        return Ok(see_other(R::LIST));
    };
    let question = R::question(&staff.ctx.state.db, action, &rows).await?;
    let bulk = Bulk {
        list: R::LIST,
        heading: question.heading,
        crumb: question.crumb,
        action: R::name(action),
        ids: rows.iter().map(|row| R::id(row)).collect(),
        lines: question.lines,
        refusal: question.refusal,
        button: question.button,
        danger: question.danger,
    };
    ConfirmPage::bulk(&staff, bulk, question.title.as_deref()).await
}

/// `POST <list>bulk/`: the action, then back to the list with what happened.
pub async fn bulk<R: BulkActions>(
    staff: Staff,
    CsrfForm { ctx, data }: CsrfForm<BulkForm>,
) -> AppResult<Response> {
    let Some((action, rows)) = chosen::<R>(&ctx, Some(&data.action), &data.ids()).await? else {
        flash_error(&ctx, R::nothing_chosen());
        return Ok(see_other(R::LIST));
    };
    match R::apply(&ctx, &staff, action, &rows).await? {
        Ok(done) => ctx.flash(done),
        Err(refused) => flash_error(&ctx, refused),
    }
    Ok(see_other(R::LIST))
}

/// A list whose one bulk action is "Delete selected": each object goes as its own delete
/// would (same refusals, same audit entry), all in one transaction or none.
pub trait BulkDelete: Deletable {
    /// The objects, one and several: ("category", "categories").
    const NOUNS: (&'static str, &'static str);

    /// The rows with these ids, in one query (ids that are gone are left out).
    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<Self::Row>, DbErr>;
}

impl<R: BulkDelete> BulkActions for R {
    type Action = ();

    fn nothing_chosen() -> String {
        format!("Select one or more {} and an action.", R::NOUNS.1)
    }

    fn action(name: &str) -> Option<()> {
        (name == "delete").then_some(())
    }

    fn name((): ()) -> &'static str {
        "delete"
    }

    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<R::Row>, DbErr> {
        <R as BulkDelete>::find_many(db, ids).await
    }

    async fn question(db: &DatabaseConnection, (): (), rows: &[R::Row]) -> Result<Question, DbErr> {
        let mut refusals = Vec::new();
        for row in rows {
            refusals.extend(R::refusal(db, row).await?);
        }
        Ok(Question {
            heading: format!("Delete {}", counted(R::NOUNS, rows.len())),
            title: Some(format!("Delete {}", R::NOUNS.1)),
            crumb: "Delete selected",
            lines: rows
                .iter()
                .map(|row| format!("“{}” will be deleted.", R::title(row)))
                .collect(),
            refusal: (!refusals.is_empty()).then(|| refusals.join(" ")),
            button: "Yes, delete them",
            danger: true,
        })
    }

    async fn apply(
        ctx: &RequestContext,
        staff: &Staff,
        (): (),
        rows: &[R::Row],
    ) -> AppResult<Result<String, String>> {
        let txn = folio_db::begin_write(&ctx.state.db).await?;
        for row in rows {
            match R::delete(&txn, row).await? {
                Deleted::Refused(why) => return Ok(Err(why)),
                Deleted::Gone => continue, // deleted meanwhile, with its own entry
                Deleted::Yes => {}
            }
            let entry = Entry::new("delete", R::OBJECT_TYPE, R::id(row), R::summary(row));
            audit_entries::record(&txn, &staff.actor(), entry).await?;
        }
        txn.commit().await?;
        if R::ON_SITE {
            ctx.state.site_cache.content_changed().await;
        }
        let were = if rows.len() == 1 { "was" } else { "were" };
        Ok(Ok(format!("{} {were} deleted.", counted(R::NOUNS, rows.len()))))
    }
}

/// "1 category", "2 categories".
fn counted((one, several): (&str, &str), n: usize) -> String {
    format!("{n} {}", if n == 1 { one } else { several })
}
