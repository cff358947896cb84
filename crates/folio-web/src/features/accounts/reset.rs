//! Password reset by emailed link. The link carries a random token; the database keeps only
//! its SHA-256, valid for an hour, usable once. The old password keeps working until the link
//! is used, so typing someone's email can't lock them out.

use askama::Template;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use folio_db::queries::{password_resets, users};
use folio_jobs::email::PasswordReset;
// The email's parts, for the snapshot tests below.
#[cfg(test)]
use folio_jobs::email::password_reset::{Html as ResetEmailHtml, Text as ResetEmailText};
use folio_jobs::jobs::SendEmail;
use folio_jobs::site_urls;
use serde::Deserialize;

use crate::domain::Email;
use crate::error::{AppResult, within_limit};
use crate::forms::{CsrfForm, FieldErrors, new_password_pair};
use crate::layout::{PageContext, invalid, ok, render};
use crate::security::client::ClientIp;
use crate::security::tokens::{digest, random_token};
use crate::session::RequestContext;

/// How long a reset link works.
pub const LINK_LIFETIME: Duration = Duration::hours(1);
/// While a link made this recently is still usable, asking again sends no other: the first
/// is on its way (and the answer is the same, so it tells nobody anything).
pub const RESEND_AFTER: Duration = Duration::minutes(10);

const SENT: &str = "New password is sent in your email inbox";

#[derive(Template)]
#[template(path = "features/accounts/templates/forgot.html")]
struct RequestPage {
    page: PageContext,
    email: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "features/accounts/templates/reset.html")]
struct ResetPage {
    page: PageContext,
    token: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "features/accounts/templates/reset_invalid.html")]
struct InvalidLinkPage {
    page: PageContext,
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password1: String,
    #[serde(default)]
    new_password2: String,
}

pub async fn show_request(ctx: RequestContext) -> AppResult<Response> {
    let page = ctx.page("Forgot password").await?;
    Ok(ok(&RequestPage {
        page,
        email: String::new(),
        errors: FieldErrors::default(),
    }))
}

const RESETS_LIMITED: &str =
    "Several reset links were asked for in a short time. Please check your inbox, or try again later.";

pub async fn submit_request(
    ClientIp(client): ClientIp,
    CsrfForm { ctx, data: form }: CsrfForm<RequestForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if let Some(email) = errors.check("email", Email::parse(&form.email)) {
        let limits = &ctx.state.settings.rate_limits;
        let limiter = &ctx.state.limiter;
        within_limit(
            limiter.hit_client(&limits.forgot_password_client, client).await,
            RESETS_LIMITED,
        )?;
        // Counted for unknown addresses too, so the answer tells nothing about who has an account.
        within_limit(
            limiter.hit(&limits.forgot_password_account, email.as_str()).await,
            RESETS_LIMITED,
        )?;
        match users::find_by_email(&ctx.state.db, email.as_str()).await? {
            Some(user) => {
                send_link_unless_recent(&ctx, user.id, &user.email).await?;
                ctx.flash(SENT);
                return Ok(Redirect::to("/signin/").into_response());
            }
            None if ctx.state.settings.privacy_mode => {
                ctx.flash(SENT);
                return Ok(Redirect::to("/signin/").into_response());
            }
            None => errors.add("email", "No user with given email"),
        }
    }
    let page = ctx.page("Forgot password").await?;
    Ok(invalid(&RequestPage {
        page,
        email: form.email,
        errors,
    }))
}

/// Stores a link and queues its email, unless one made within [`RESEND_AFTER`] is still usable.
async fn send_link_unless_recent(ctx: &RequestContext, user_id: i64, email: &str) -> AppResult<()> {
    let since = Utc::now() - RESEND_AFTER;
    if password_resets::has_recent_usable(&ctx.state.db, user_id, since).await? {
        return Ok(());
    }
    send_link(ctx, user_id, email).await
}

/// Stores the link and queues its email in one transaction: the mail goes out if and only if
/// the link exists.
pub(crate) async fn send_link(ctx: &RequestContext, user_id: i64, email: &str) -> AppResult<()> {
    let token = random_token();
    let link = site_urls::absolute(&ctx.state.settings.base_url, &site_urls::password_reset(&token));
    let message = PasswordReset { link: &link }
        .render(email)
        .map_err(|err| anyhow::anyhow!("email template: {err}"))?;
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    password_resets::create(&txn, user_id, &digest(&token), Utc::now() + LINK_LIFETIME).await?;
    folio_jobs::enqueue(&txn, &SendEmail { email: message }).await?;
    txn.commit().await?;
    Ok(())
}

/// A link that is unknown, used or expired: one page for all three, so it reveals nothing.
async fn invalid_link(ctx: &RequestContext) -> AppResult<Response> {
    let page = ctx.page("Reset link expired").await?;
    Ok(render(StatusCode::NOT_FOUND, &InvalidLinkPage { page }))
}

/// The token segment; one that can't even be decoded is treated like any other unknown token.
fn token_of(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(token)| token).unwrap_or_default()
}

fn plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn show_reset(
    ctx: RequestContext,
    token: Result<Path<String>, PathRejection>,
) -> AppResult<Response> {
    let token = token_of(token);
    if !plausible(&token)
        || password_resets::find_usable(&ctx.state.db, &digest(&token))
            .await?
            .is_none()
    {
        return invalid_link(&ctx).await;
    }
    let page = ctx.page("Choose a new password").await?;
    Ok(ok(&ResetPage {
        page,
        token,
        errors: FieldErrors::default(),
    }))
}

pub async fn submit_reset(
    token: Result<Path<String>, PathRejection>,
    CsrfForm { ctx, data: form }: CsrfForm<ResetForm>,
) -> AppResult<Response> {
    let token = token_of(token);
    if !plausible(&token) {
        return invalid_link(&ctx).await;
    }
    let mut errors = FieldErrors::default();
    let new = new_password_pair(
        &mut errors,
        ("new_password1", &form.new_password1),
        ("new_password2", &form.new_password2),
    );
    let (Some(new), true) = (new, errors.is_empty()) else {
        let page = ctx.page("Choose a new password").await?;
        return Ok(invalid(&ResetPage { page, token, errors }));
    };
    let hash = crate::security::password::hash(new.into_inner()).await?;
    match password_resets::redeem(&ctx.state.db, &digest(&token), &hash).await? {
        Some(user_id) => {
            // The redemption deleted the user's session rows; this ends them in Redis too, and
            // in every instance's cache.
            ctx.state.sessions.end_sessions_of(user_id, None).await?;
            ctx.sign_out().await?;
            ctx.flash("Your password is changed. Sign in with the new one.");
            Ok(Redirect::to("/signin/").into_response())
        }
        None => invalid_link(&ctx).await,
    }
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::{ResetEmailHtml, ResetEmailText};

    // The reset email as people receive it; a change here is a reviewed change.
    const LINK: &str = "https://notes.example.org/forgot-password/0123456789abcdef/";

    #[test]
    fn reset_email_text() {
        insta::assert_snapshot!(ResetEmailText { link: LINK }.render().unwrap());
    }

    #[test]
    fn reset_email_html() {
        insta::assert_snapshot!(ResetEmailHtml { link: LINK }.render().unwrap());
    }
}
