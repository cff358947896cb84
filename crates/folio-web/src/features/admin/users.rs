//! Users: list (never a password hash), a detail page, make / remove staff, deactivate /
//! reactivate. Deactivating ends every session of the user at once. Staff can't change their
//! own staff status or deactivate themselves (no locking yourself out by accident).

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::queries::audit_entries::{self, Entry};
use folio_db::queries::users::{self, UserFilter, UserRow, UserSort};
use folio_db::{DatabaseConnection, DbErr};
use serde::Deserialize;

use super::toolkit::history::{Audited, show_history};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Resource, admin_page, flash_error, found, see_other};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::CsrfForm;
use crate::layout::{PageContext, ok};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/", get(list))
        .route("/admin/users/{id}/", get(show))
        .route("/admin/users/{id}/staff/", post(set_staff))
        .route("/admin/users/{id}/active/", post(set_active))
        .route("/admin/users/{id}/history/", get(show_history::<Users>))
}

/// Users as the toolkit handles them (their history).
struct Users;

impl Resource for Users {
    type Row = UserRow;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<UserRow>, DbErr> {
        users::find_row(db, id).await
    }

    fn id(user: &UserRow) -> i64 {
        user.id
    }
}

impl Audited for Users {
    const OBJECT_TYPE: &'static str = "user";

    fn title(user: &UserRow) -> String {
        user.email.clone()
    }
}

const LIST: &str = "/admin/users/";

#[derive(Template)]
#[template(path = "features/admin/templates/users.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<UserRow>,
}

fn yes_no(value: Option<&str>) -> Option<bool> {
    match value {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("email", UserSort::Email),
            ("created_at", UserSort::CreatedAt),
            ("id", UserSort::Id),
        ],
        ("created_at", true),
    );
    let is_staff = query.choice("staff", &["yes", "no"]);
    let is_active = query.choice("active", &["yes", "no"]);
    let filter = UserFilter {
        is_staff: yes_no(is_staff),
        is_active: yes_no(is_active),
    };
    let found = users::list(&staff.ctx.state.db, filter, &query.request(&sort)).await?;
    let view = ListView::new(LIST, &query, &sort, &found)
        .with_filter("staff", is_staff)
        .with_filter("active", is_active);
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Users").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![
            Filter::new("staff", "Staff", &[("Yes", "yes"), ("No", "no")]),
            Filter::new("active", "Active", &[("Yes", "yes"), ("No", "no")]),
        ],
        rows: found.rows,
    }))
}

#[derive(Template)]
#[template(path = "features/admin/templates/user.html")]
struct UserPage {
    page: PageContext,
    nav: AdminNav,
    user: UserRow,
    is_self: bool,
}

async fn show(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let row = found::<Users>(&staff.ctx, id).await?;
    Ok(ok(&UserPage {
        page: admin_page(&staff.ctx, row.email.clone()).await?,
        nav: AdminNav::new(LIST, &[(&row.email, "")]),
        is_self: row.id == staff.user.id,
        user: row,
    }))
}

#[derive(Deserialize)]
pub struct Switch {
    /// `on` or `off`.
    #[serde(default)]
    value: String,
}

fn switch(value: &str) -> Option<bool> {
    match value {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

async fn set_staff(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, data }: CsrfForm<Switch>,
) -> AppResult<Response> {
    change(staff, id, ctx, data, Field::Staff).await
}

async fn set_active(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, data }: CsrfForm<Switch>,
) -> AppResult<Response> {
    change(staff, id, ctx, data, Field::Active).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Staff,
    Active,
}

async fn change(
    staff: Staff,
    id: i64,
    ctx: crate::session::RequestContext,
    data: Switch,
    field: Field,
) -> AppResult<Response> {
    let Some(target) = users::find_by_id(&ctx.state.db, id).await? else {
        return Err(ctx.not_found().await);
    };
    let page = format!("/admin/users/{id}/");
    let Some(value) = switch(&data.value) else {
        flash_error(&ctx, "Choose an action.");
        return Ok(see_other(&page));
    };
    if id == staff.user.id && !value {
        flash_error(
            &ctx,
            match field {
                Field::Staff => "You can't remove your own staff status; ask another staff member.",
                Field::Active => "You can't deactivate your own account; ask another staff member.",
            },
        );
        return Ok(see_other(&page));
    }
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let changed = match field {
        Field::Staff => users::set_staff(&txn, id, value).await?,
        Field::Active => users::set_active(&txn, id, value).await?,
    };
    let (action, message) = match (field, value) {
        (Field::Staff, true) => ("make_staff", format!("{} is now staff.", target.email)),
        (Field::Staff, false) => (
            "remove_staff",
            format!(
                "{} is no longer staff and was signed out everywhere.",
                target.email
            ),
        ),
        (Field::Active, true) => ("reactivate", format!("{} was reactivated.", target.email)),
        (Field::Active, false) => (
            "deactivate",
            format!("{} was deactivated and signed out everywhere.", target.email),
        ),
    };
    if changed {
        let entry = Entry {
            action,
            object_type: "user",
            object_id: Some(id),
            summary: format!("{} ({})", target.email, action.replace('_', " ")),
        };
        audit_entries::record(&txn, &staff.actor(), entry).await?;
    }
    txn.commit().await?;
    if changed && !value {
        // Deactivated: every session ends now (sign-in refuses the account from here on).
        // Staff removed: sessions cache `is_staff` (the public site shows drafts to staff),
        // so they end too rather than keep staff rights until they expire. After the commit,
        // so a failed write signs nobody out.
        ctx.state.sessions.end_sessions_of(id, None).await?;
        ctx.state.sessions.forget_cached(id, None).await;
    }
    if changed {
        ctx.flash(message);
    } else {
        ctx.flash(format!("{} was already in that state.", target.email));
    }
    Ok(see_other(&page))
}
