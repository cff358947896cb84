use askama::Template;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::users;
use serde::Deserialize;

use crate::domain::{Email, entered_password};
use std::net::IpAddr;

use crate::error::{AppError, AppResult, within_limit};
use crate::forms::{Confirm, CsrfForm, FieldErrors, local_path, query_param};
use crate::layout::{PageContext, invalid, ok};
use crate::security::client::ClientIp;
use crate::security::password;
use crate::session::{RequestContext, SessionUser};

#[derive(Template)]
#[template(path = "features/accounts/templates/signin.html")]
struct SignInPage {
    page: PageContext,
    email: String,
    next: String,
    errors: FieldErrors,
    failed: bool,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a local path survives as `next`; anything else is dropped before it reaches a page.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or_default().to_owned()
}

pub async fn show(ctx: RequestContext, RawQuery(query): RawQuery) -> AppResult<Response> {
    let page = ctx.page("Sign in").await?;
    let next = safe_next(query_param(query.as_deref(), "next").as_deref());
    Ok(ok(&SignInPage {
        page,
        email: String::new(),
        next,
        errors: FieldErrors::default(),
        failed: false,
    }))
}

const SIGN_IN_LIMITED: &str = "Too many failed sign-in attempts. Please wait a few minutes before trying again, or reset your password.";

/// Refuses a sign-in while the account, or the client, has had too many failed attempts.
/// Only failures count ([`count_failure`]), so a person signing in now and then never meets it.
async fn refuse_while_limited(ctx: &RequestContext, email: &Email, client: Option<IpAddr>) -> AppResult<()> {
    let limits = &ctx.state.settings.rate_limits;
    let limiter = &ctx.state.limiter;
    within_limit(
        limiter.check(&limits.sign_in_account, email.as_str()).await,
        SIGN_IN_LIMITED,
    )?;
    if let Some(client) = client {
        let verdict = limiter.check(&limits.sign_in_client, &client.to_string()).await;
        within_limit(verdict, SIGN_IN_LIMITED)?;
    }
    Ok(())
}

/// Counts a failed sign-in against the account and the client, and logs it: the address and
/// a digest of the email (enough to see one account guessed at, or one client guessing many,
/// without putting people's emails in the logs).
async fn count_failure(ctx: &RequestContext, email: &Email, client: Option<IpAddr>, account_exists: bool) {
    tracing::warn!(
        client = client.map(|ip| ip.to_string()),
        account = &crate::security::tokens::digest(email.as_str())[..12],
        account_exists,
        "sign-in failed"
    );
    let limits = &ctx.state.settings.rate_limits;
    let limiter = &ctx.state.limiter;
    limiter.hit(&limits.sign_in_account, email.as_str()).await;
    limiter.hit_client(&limits.sign_in_client, client).await;
}

pub async fn submit(
    ClientIp(client): ClientIp,
    CsrfForm { ctx, data: form }: CsrfForm<SignInForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let entered = errors.check("password", entered_password(&form.password));
    let next = safe_next(Some(&form.next));
    let mut failed = false;
    if let (Some(email), Some(entered)) = (email, entered) {
        refuse_while_limited(&ctx, &email, client).await?;
        let user = users::find_by_email(&ctx.state.db, email.as_str()).await?;
        // Verify even when the email is unknown (against a dummy hash), so the response time
        // does not tell which emails have accounts.
        let matched = password::verify(entered, user.as_ref().map(|user| user.password_hash.clone())).await?;
        match user {
            // A deactivated account fails like a wrong password: nothing tells it apart.
            Some(user) if matched && user.is_active => {
                ctx.sign_in(SessionUser {
                    id: user.id,
                    email: user.email,
                    is_staff: user.is_staff,
                })
                .await?;
                let target = if next.is_empty() { "/" } else { next.as_str() };
                return Ok(Redirect::to(target).into_response());
            }
            _ => {
                count_failure(&ctx, &email, client, user.is_some()).await;
                failed = true;
            }
        }
    }
    let page = ctx.page("Sign in").await?;
    Ok(invalid(&SignInPage {
        page,
        email: form.email,
        next,
        errors,
        failed,
    }))
}

#[derive(Template)]
#[template(path = "features/accounts/templates/signout.html")]
struct SignOutPage {
    page: PageContext,
}

/// `GET /signout/` changes nothing (a link prefetcher, a mail scanner or an `<img>` on a page
/// could follow it): a signed-in visitor gets a page whose button signs out; anyone else goes
/// home, as Notejam's link did.
pub async fn confirm_sign_out(ctx: RequestContext) -> AppResult<Response> {
    if ctx.user.is_none() {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(ok(&SignOutPage {
        page: ctx.page("Sign out").await?,
    }))
}

/// `POST /signout/` with the visitor's form token ends the session. Without a session there
/// is nothing to end, so a signed-out visitor is sent home whatever the form holds.
pub async fn sign_out(ctx: RequestContext, form: Result<CsrfForm<Confirm>, AppError>) -> AppResult<Response> {
    if ctx.user.is_some() {
        form?;
        ctx.sign_out().await?;
    }
    Ok(Redirect::to("/").into_response())
}
