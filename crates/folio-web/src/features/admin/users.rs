//! Users: list (never a password hash), a detail page, add a user (who gets a link to choose
//! their password), send a password-reset link, make / remove staff and deactivate /
//! reactivate behind a confirmation page. Deactivating ends every session of the user at once.
//! Staff can't change their own staff status or deactivate themselves (no locking yourself out
//! by accident).

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::queries::audit_entries::{self, Entry};
use folio_db::queries::users::{self, UserFilter, UserRow, UserSort};
use folio_db::{DatabaseConnection, DbErr};
use serde::Deserialize;

use super::toolkit::confirm::ConfirmPage;
use super::toolkit::history::{Audited, show_history};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Resource, admin_page, flash_error, found, see_other};
use super::{AdminNav, Staff};
use crate::domain::Email;
use crate::error::AppResult;
use crate::features::PathId;
use crate::features::accounts::reset::send_link;
use crate::forms::{Confirm, CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok};
use crate::security::{password, tokens::random_token};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/", get(list))
        .route("/admin/users/add/", get(show_add).post(add))
        .route("/admin/users/{id}/", get(show))
        .route("/admin/users/{id}/staff/", get(confirm_staff).post(set_staff))
        .route("/admin/users/{id}/active/", get(confirm_active).post(set_active))
        .route("/admin/users/{id}/reset-link/", post(send_reset_link))
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

impl Field {
    /// The path segment of the switch (`/admin/users/<id>/<segment>/`).
    fn segment(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Active => "active",
        }
    }

    /// The confirmation's heading, what will happen, its button, and whether it takes
    /// something away (a red button).
    fn question(self, value: bool, email: &str) -> (String, String, &'static str, bool) {
        match (self, value) {
            (Self::Staff, true) => (
                format!("Make {email} staff"),
                format!(
                    "{email} will be able to use this admin panel: change and delete content, people and jobs."
                ),
                "Yes, make staff",
                false,
            ),
            (Self::Staff, false) => (
                format!("Remove {email} from staff"),
                format!("{email} will lose the admin panel and be signed out everywhere."),
                "Yes, remove staff status",
                true,
            ),
            (Self::Active, true) => (
                format!("Reactivate {email}"),
                format!("{email} will be able to sign in again."),
                "Yes, reactivate",
                false,
            ),
            (Self::Active, false) => (
                format!("Deactivate {email}"),
                format!("{email} will be signed out everywhere and can't sign in until reactivated."),
                "Yes, deactivate",
                true,
            ),
        }
    }
}

async fn confirm_staff(staff: Staff, PathId(id): PathId, RawQuery(raw): RawQuery) -> AppResult<Response> {
    confirm(staff, id, raw, Field::Staff).await
}

async fn confirm_active(staff: Staff, PathId(id): PathId, RawQuery(raw): RawQuery) -> AppResult<Response> {
    confirm(staff, id, raw, Field::Active).await
}

/// The page that asks before a staff or active switch (`?value=on|off`); the button posts
/// the same switch to the same path.
async fn confirm(staff: Staff, id: i64, raw: Option<String>, field: Field) -> AppResult<Response> {
    let user = found::<Users>(&staff.ctx, id).await?;
    let page = format!("{LIST}{id}/");
    let query = ListQuery::parse(raw.as_deref());
    let Some(value) = query.choice("value", &["on", "off"]).and_then(switch) else {
        flash_error(&staff.ctx, "Choose an action.");
        return Ok(see_other(&page));
    };
    let (heading, line, button, danger) = field.question(value, &user.email);
    let refusal = (id == staff.user.id && !value).then(|| own_account_refusal(field).to_owned());
    Ok(ok(&ConfirmPage {
        page: admin_page(&staff.ctx, heading.clone()).await?,
        nav: AdminNav::new(LIST, &[(&user.email, &page), ("Confirm", "")]),
        heading,
        lines: vec![line],
        refusal,
        blockers: Vec::new(),
        action: format!("{page}{}/", field.segment()),
        hidden: vec![("value", if value { "on" } else { "off" }.to_owned())],
        button,
        danger,
        cancel: page,
    }))
}

fn own_account_refusal(field: Field) -> &'static str {
    match field {
        Field::Staff => "You can't remove your own staff status; ask another staff member.",
        Field::Active => "You can't deactivate your own account; ask another staff member.",
    }
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
        flash_error(&ctx, own_account_refusal(field));
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
    }
    if changed {
        ctx.flash(message);
    } else {
        ctx.flash(format!("{} was already in that state.", target.email));
    }
    Ok(see_other(&page))
}

/// Emails the user a link to choose a new password (as "Forgot password" does), for someone
/// who can't get in; their password keeps working until they use it.
async fn send_reset_link(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let user = found::<Users>(&ctx, id).await?;
    if !user.is_active {
        flash_error(
            &ctx,
            format!("{} is deactivated: reactivate them first.", user.email),
        );
        return Ok(see_other(&format!("{LIST}{id}/")));
    }
    send_link(&ctx, id, &user.email).await?;
    record(
        &staff,
        "send_reset_link",
        id,
        format!("Sent a password-reset link to {}", user.email),
    )
    .await?;
    ctx.flash(format!(
        "A password-reset link was emailed to {} (it works for one hour).",
        user.email
    ));
    Ok(see_other(&format!("{LIST}{id}/")))
}

async fn record(staff: &Staff, action: &str, id: i64, summary: String) -> AppResult<()> {
    let entry = Entry::new(action, "user", id, summary);
    audit_entries::record(&staff.ctx.state.db, &staff.actor(), entry).await?;
    Ok(())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    /// The "staff" checkbox.
    #[serde(default)]
    is_staff: String,
}

#[derive(Template)]
#[template(path = "features/admin/templates/user_form.html")]
struct AddPage {
    page: PageContext,
    nav: AdminNav,
    form: AddForm,
    errors: FieldErrors,
}

async fn add_page(
    ctx: &crate::session::RequestContext,
    form: AddForm,
    errors: FieldErrors,
) -> AppResult<AddPage> {
    Ok(AddPage {
        page: admin_page(ctx, "Add user").await?,
        nav: AdminNav::new(LIST, &[("Add", "")]),
        form,
        errors,
    })
}

async fn show_add(staff: Staff) -> AppResult<Response> {
    Ok(ok(&add_page(
        &staff.ctx,
        AddForm::default(),
        FieldErrors::default(),
    )
    .await?))
}

/// Creates the account with a password nobody knows and emails the person a link to choose
/// their own: staff never see or send a password.
async fn add(staff: Staff, CsrfForm { ctx, data: form }: CsrfForm<AddForm>) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if let Some(email) = errors.check("email", Email::parse(&form.email)) {
        let is_staff = !form.is_staff.is_empty();
        let unusable = password::hash(random_token()).await?;
        match users::create(&ctx.state.db, email.as_str(), &unusable, is_staff).await {
            Ok(user) => {
                let what = if is_staff { "staff member" } else { "user" };
                record(&staff, "create", user.id, format!("Added {what} {}", user.email)).await?;
                send_link(&ctx, user.id, &user.email).await?;
                ctx.flash(format!(
                    "{} was added; a link to choose a password was emailed to them (it works for one hour; send another from here).",
                    user.email
                ));
                return Ok(see_other(&format!("{LIST}{}/", user.id)));
            }
            Err(users::CreateUserError::EmailTaken) => {
                errors.add("email", "A user with this email already exists.")
            }
            Err(users::CreateUserError::LooksLikeAnother) => errors.add(
                "email",
                "Another user's email looks the same as this one (some letters can't be told apart); search the users for it.",
            ),
            Err(users::CreateUserError::Db(err)) => return Err(err.into()),
        }
    }
    Ok(invalid(&add_page(&ctx, form, errors).await?))
}
