//! Subscriptions to new items.
//!
//! - Anyone: enter an email, get a confirmation link (double opt-in); the link opens a page
//!   whose button confirms, so a mail scanner that follows links can't confirm for someone.
//! - Signed-in users: one click on their settings page subscribes their account email,
//!   confirmed at once; the same place unsubscribes.
//! - Unsubscribe: the link in every notification opens a page (`GET`) whose button unsubscribes
//!   (`POST` with the page's form token), so a mail scanner that opens links unsubscribes no
//!   one; and the RFC 8058 one-click `POST` that mail clients send from their own unsubscribe
//!   button (no form token: the unguessable token in the URL is the proof), which stays
//!   idempotent.
//!
//! The answer to the public form is the same whether or not the email is already subscribed,
//! so the form can't be used to learn who subscribes.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::subscribers::{self, Subscribed};
use folio_jobs::Email as OutgoingEmail;
use folio_jobs::email::SubscriptionConfirm;
use folio_jobs::jobs::SendEmail;
use folio_jobs::site_urls;
use serde::Deserialize;

use crate::domain::Email;
use crate::error::{AppError, AppResult, within_limit};
use crate::forms::{CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok, render};
use crate::security::client::ClientIp;
use crate::security::tokens::random_token;
use crate::session::{RequestContext, SignedIn};

pub const CHECK_INBOX: &str = "Check your inbox: we sent a link to confirm your subscription.";
pub const CONFIRMED: &str = "You are subscribed: we will email you when a new item is published.";

#[derive(Template)]
#[template(path = "features/site/templates/subscribe.html")]
struct SubscribePage {
    page: PageContext,
    email: String,
    errors: FieldErrors,
    subscribed: bool,
}

#[derive(Template)]
#[template(path = "features/site/templates/confirm.html")]
struct ConfirmPage {
    page: PageContext,
    token: String,
}

#[derive(Template)]
#[template(path = "features/site/templates/unsubscribe.html")]
struct UnsubscribePage {
    page: PageContext,
    token: String,
    /// The subscribed address with most of its local part hidden: enough for its owner to
    /// recognise it, not enough for whoever else holds the link to learn it.
    masked_email: String,
}

#[derive(Template)]
#[template(path = "features/site/templates/unsubscribed.html")]
struct UnsubscribedPage {
    page: PageContext,
}

#[derive(Template)]
#[template(path = "features/site/templates/unsubscribe_invalid.html")]
struct InvalidUnsubscribeLinkPage {
    page: PageContext,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
}

/// Whether the signed-in user's email is subscribed (false for anonymous visitors).
pub async fn is_subscribed(ctx: &RequestContext) -> AppResult<bool> {
    let Some(user) = &ctx.user else {
        return Ok(false);
    };
    Ok(subscribers::find_by_email(&ctx.state.db, &user.email)
        .await?
        .is_some_and(|s| s.confirmed))
}

pub async fn show(ctx: RequestContext) -> AppResult<Response> {
    let subscribed = is_subscribed(&ctx).await?;
    let page = ctx.page("Subscribe").await?;
    Ok(ok(&SubscribePage {
        page,
        email: String::new(),
        errors: FieldErrors::default(),
        subscribed,
    }))
}

pub async fn submit(
    ClientIp(client): ClientIp,
    CsrfForm { ctx, data: form }: CsrfForm<SubscribeForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        let subscribed = is_subscribed(&ctx).await?;
        let page = ctx.page("Subscribe").await?;
        return Ok(invalid(&SubscribePage {
            page,
            email: form.email,
            errors,
            subscribed,
        }));
    };
    let limit = &ctx.state.settings.rate_limits.subscribe;
    within_limit(
        ctx.state.limiter.hit_client(limit, client).await,
        super::contact::FORMS_LIMITED,
    )?;
    subscribe_pending_confirmation(&ctx, email.as_str(), None).await?;
    ctx.flash(CHECK_INBOX);
    Ok(Redirect::to("/site/subscribe/").into_response())
}

/// Records the subscription unconfirmed and mails its confirmation link, in one transaction;
/// true when the address was already confirmed (nothing is sent then).
async fn subscribe_pending_confirmation(
    ctx: &RequestContext,
    email: &str,
    user_id: Option<i64>,
) -> AppResult<bool> {
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let confirmed = match subscribers::subscribe(&txn, email, &random_token(), user_id, false).await? {
        Subscribed::New(row) | Subscribed::Existing(row) if !row.confirmed => {
            let message = confirmation_email(ctx, &row.email, &row.token)?;
            folio_jobs::enqueue(&txn, &SendEmail { email: message }).await?;
            false
        }
        _ => true,
    };
    txn.commit().await?;
    Ok(confirmed)
}

fn confirmation_email(ctx: &RequestContext, to: &str, token: &str) -> AppResult<OutgoingEmail> {
    let link = site_urls::absolute(
        &ctx.state.settings.base_url,
        &site_urls::subscription_confirm(token),
    );
    SubscriptionConfirm {
        site_name: &ctx.state.settings.site.name,
        link: &link,
    }
    .render(to)
    .map_err(|err| AppError::Internal(anyhow::anyhow!("email template: {err}")))
}

/// Tokens are 64 hex characters; anything else (including a path segment that doesn't even
/// decode) is unknown without asking the database.
fn token_of(path: Result<Path<String>, PathRejection>) -> Option<String> {
    path.ok()
        .map(|Path(token)| token)
        .filter(|token| token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn show_confirm(
    ctx: RequestContext,
    token: Result<Path<String>, PathRejection>,
) -> AppResult<Response> {
    let Some(token) = token_of(token) else {
        return Err(super::pages::not_found(&ctx));
    };
    if subscribers::find_by_token(&ctx.state.db, &token).await?.is_none() {
        return Err(super::pages::not_found(&ctx));
    }
    let page = ctx.page("Confirm your subscription").await?;
    Ok(ok(&ConfirmPage { page, token }))
}

pub async fn confirm(
    token: Result<Path<String>, PathRejection>,
    CsrfForm { ctx, .. }: CsrfForm<SubscribeForm>,
) -> AppResult<Response> {
    let Some(token) = token_of(token) else {
        return Err(super::pages::not_found(&ctx));
    };
    if !subscribers::confirm(&ctx.state.db, &token).await? {
        return Err(super::pages::not_found(&ctx));
    }
    ctx.flash(CONFIRMED);
    Ok(Redirect::to("/site/").into_response())
}

/// The unsubscribe link from an email: a page naming the (masked) address with a button that
/// unsubscribes. Opening the link changes nothing, so a mail scanner that follows every link
/// can't unsubscribe anyone.
pub async fn unsubscribe_link(
    ctx: RequestContext,
    token: Result<Path<String>, PathRejection>,
) -> AppResult<Response> {
    let found = match token_of(token) {
        Some(token) => subscribers::find_by_token(&ctx.state.db, &token).await?,
        None => None,
    };
    let Some(subscriber) = found else {
        return invalid_unsubscribe_link(&ctx).await;
    };
    let page = ctx.page("Unsubscribe").await?;
    Ok(ok(&UnsubscribePage {
        page,
        masked_email: mask_email(&subscriber.email),
        token: subscriber.token,
    }))
}

/// A `POST` to the unsubscribe link: the page's button (a form with its `csrf_token`), or the
/// RFC 8058 one-click request a mail provider sends with `List-Unsubscribe=One-Click` and no
/// cookies. Both unsubscribe; the button gets the confirmation page (or, for a link that is
/// no longer valid, a 404 page saying so), the mail provider the bare answer it always got.
pub async fn unsubscribe_post(
    ctx: RequestContext,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let token = token_of(token);
    let Some(form_token) = body.ok().and_then(|body| page_form_token(&headers, &body)) else {
        return unsubscribe_one_click(&ctx, token).await;
    };
    ctx.verify_csrf(&form_token).await?;
    let unsubscribed = match &token {
        Some(token) => subscribers::unsubscribe(&ctx.state.db, token).await?,
        None => false,
    };
    if !unsubscribed {
        return invalid_unsubscribe_link(&ctx).await;
    }
    let page = ctx.page("Unsubscribed").await?;
    Ok(ok(&UnsubscribedPage { page }))
}

/// The `csrf_token` of a url-encoded body: present only when the body is the unsubscribe
/// page's own form. Anything else (RFC 8058 allows url-encoded and multipart bodies, and
/// providers differ) is a one-click request, handled exactly as before the page existed.
fn page_form_token(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    fields
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value)
}

/// RFC 8058 one-click: no form token (the mail client has none); the unguessable token in the
/// URL is the proof. Idempotent: an unknown token answers the same.
async fn unsubscribe_one_click(ctx: &RequestContext, token: Option<String>) -> AppResult<Response> {
    if let Some(token) = token {
        subscribers::unsubscribe(&ctx.state.db, &token).await?;
    }
    Ok((StatusCode::OK, "Unsubscribed.").into_response())
}

/// A link whose token is malformed or belongs to no subscription (used already, or copied
/// incompletely): a 404 page that says which, and changes nothing.
async fn invalid_unsubscribe_link(ctx: &RequestContext) -> AppResult<Response> {
    let page = ctx.page("Unsubscribe link not valid").await?;
    Ok(render(
        StatusCode::NOT_FOUND,
        &InvalidUnsubscribeLinkPage { page },
    ))
}

/// `r•••@example.org`: the first character of the local part, then a fixed mask (its length
/// would tell how long the address is).
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OwnSubscriptionForm {
    #[serde(default)]
    action: String,
}

/// The one-click subscribe / unsubscribe of a signed-in user's own email (settings page).
/// Settings' one-click subscribe. Accounts' addresses are never verified (anyone can sign up
/// as someone else), so it takes the same double opt-in as the public form: the address's
/// owner confirms by the emailed link. Once, one click subscribed a stranger's address.
pub async fn own_subscription(
    ClientIp(client): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, data: form }: CsrfForm<OwnSubscriptionForm>,
) -> AppResult<Response> {
    match form.action.as_str() {
        "subscribe" => {
            let limit = &ctx.state.settings.rate_limits.subscribe;
            within_limit(
                ctx.state.limiter.hit_client(limit, client).await,
                super::contact::FORMS_LIMITED,
            )?;
            let confirmed = subscribe_pending_confirmation(&ctx, &user.email, Some(user.id)).await?;
            ctx.flash(if confirmed { CONFIRMED } else { CHECK_INBOX });
        }
        "unsubscribe" => {
            subscribers::unsubscribe_email(&ctx.state.db, &user.email).await?;
            ctx.flash("You are unsubscribed: we will not email you about new items.");
        }
        _ => return Err(AppError::BadRequest("Unknown subscription action.")),
    }
    Ok(Redirect::to("/settings/").into_response())
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn masks_all_but_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("reader@example.org"), "r•••@example.org");
        assert_eq!(mask_email("é@example.org"), "é•••@example.org");
        assert_eq!(mask_email("nobody"), "•••");
    }
}
