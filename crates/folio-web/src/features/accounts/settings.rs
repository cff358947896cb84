use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::users;
use serde::Deserialize;

use crate::domain::entered_password;
use crate::error::{AppError, AppResult};
use crate::features::site::subscribe::is_subscribed;
use crate::forms::{CsrfForm, FieldErrors, new_password_pair};
use crate::layout::{PageContext, invalid, ok};
use crate::security::password;
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "features/accounts/templates/settings.html")]
struct SettingsPage {
    page: PageContext,
    errors: FieldErrors,
    /// Whether the account's email gets new-item notifications.
    subscribed: bool,
}

#[derive(Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password1: String,
    #[serde(default)]
    new_password2: String,
}

pub async fn show(SignedIn { ctx, .. }: SignedIn) -> AppResult<Response> {
    let subscribed = is_subscribed(&ctx).await?;
    let page = ctx.page("Account settings").await?;
    Ok(ok(&SettingsPage {
        page,
        errors: FieldErrors::default(),
        subscribed,
    }))
}

pub async fn submit(
    signed_in: SignedIn,
    CsrfForm { ctx, data: form }: CsrfForm<PasswordChangeForm>,
) -> AppResult<Response> {
    let user_id = signed_in.user.id;
    let mut errors = FieldErrors::default();
    let old = errors.check("old_password", entered_password(&form.old_password));
    let new = new_password_pair(
        &mut errors,
        ("new_password1", &form.new_password1),
        ("new_password2", &form.new_password2),
    );
    if let Some(old) = old {
        // The user row can only be missing if it was deleted mid-session.
        let user = users::find_by_id(&ctx.state.db, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !password::verify(old, Some(user.password_hash)).await? {
            errors.add(
                "old_password",
                "Your old password was entered incorrectly. Please enter it again.",
            );
        }
    }
    if let (Some(new), true) = (new, errors.is_empty()) {
        let hash = password::hash(new.into_inner()).await?;
        users::set_password_hash(&ctx.state.db, user_id, &hash).await?;
        ctx.end_other_sessions(user_id).await?;
        ctx.flash("Password is successfully changed");
        return Ok(Redirect::to("/").into_response());
    }
    let subscribed = is_subscribed(&ctx).await?;
    let page = ctx.page("Account settings").await?;
    Ok(invalid(&SettingsPage {
        page,
        errors,
        subscribed,
    }))
}
