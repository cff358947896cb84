//! Settings → API tokens: make a personal access token (shown once), see when each was last
//! used, revoke one. A password change or reset, and a deactivation, revoke them all
//! (`folio_db::queries::users`).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use folio_db::entities::api_token;
use folio_db::queries::api_tokens::{self, NewToken};
use serde::Deserialize;

use crate::dates::{SmartDate, smart_date};
use crate::domain::Name;
use crate::error::AppResult;
use crate::features::PathId;
use crate::features::api::mint_token;
use crate::forms::{Confirm, CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok, render};
use crate::session::{RequestContext, SignedIn};

/// How long a new token may live; "never" is offered last, as GitHub does, and not preselected.
const LIFETIMES: [(&str, &str); 5] = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("never", "No expiry"),
];

#[derive(Template)]
#[template(path = "features/accounts/templates/tokens.html")]
struct TokensPage {
    page: PageContext,
    tokens: Vec<TokenRow>,
    form: TokenForm,
    errors: FieldErrors,
    /// The token just made: shown on this page only, never again.
    created: Option<String>,
    lifetimes: &'static [(&'static str, &'static str)],
}

/// One token as the list shows it.
struct TokenRow {
    id: i64,
    name: String,
    hint: String,
    can_write: bool,
    expires: Option<SmartDate>,
    expired: bool,
    last_used: Option<SmartDate>,
    created: SmartDate,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            scope: "read".into(),
            expires: "30".into(),
        }
    }
}

fn row(token: api_token::Model) -> TokenRow {
    let now = Utc::now();
    TokenRow {
        id: token.id,
        name: token.name,
        hint: token.hint,
        can_write: token.can_write,
        expires: token.expires_at.map(|at| smart_date(at, now)),
        expired: token.expires_at.is_some_and(|at| at <= now),
        last_used: token.last_used_at.map(|at| smart_date(at, now)),
        created: smart_date(token.created_at, now),
    }
}

async fn tokens_page(
    ctx: &RequestContext,
    user_id: i64,
    form: TokenForm,
    errors: FieldErrors,
    created: Option<String>,
) -> AppResult<TokensPage> {
    let tokens = api_tokens::list_for_user(&ctx.state.db, user_id).await?;
    Ok(TokensPage {
        page: ctx.page("API tokens").await?,
        tokens: tokens.into_iter().map(row).collect(),
        form,
        errors,
        created,
        lifetimes: &LIFETIMES,
    })
}

pub async fn show(SignedIn { ctx, user }: SignedIn) -> AppResult<Response> {
    let page = tokens_page(&ctx, user.id, TokenForm::default(), FieldErrors::default(), None);
    Ok(ok(&page.await?))
}

/// A validated token form: name, write access, expiry.
struct ValidToken {
    name: Name,
    can_write: bool,
    lifetime_days: Option<i64>,
}

fn validate(form: &TokenForm) -> Result<ValidToken, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let can_write = match form.scope.as_str() {
        "read" => Some(false),
        "write" => Some(true),
        _ => {
            errors.add("scope", "Choose read, or read and write.");
            None
        }
    };
    let lifetime_days = match form.expires.as_str() {
        "never" => Some(None),
        days if LIFETIMES.iter().any(|(value, _)| *value == days) => days.parse().ok().map(Some),
        _ => None,
    };
    if lifetime_days.is_none() {
        errors.add("expires", "Choose one of the expiry periods.");
    }
    match (name, can_write, lifetime_days) {
        (Some(name), Some(can_write), Some(lifetime_days)) if errors.is_empty() => Ok(ValidToken {
            name,
            can_write,
            lifetime_days,
        }),
        _ => Err(errors),
    }
}

pub async fn create(
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, data: form }: CsrfForm<TokenForm>,
) -> AppResult<Response> {
    let valid = match validate(&form) {
        Ok(valid) => valid,
        Err(errors) => return Ok(invalid(&tokens_page(&ctx, user.id, form, errors, None).await?)),
    };
    let minted = mint_token();
    let new = NewToken {
        name: valid.name.as_str(),
        token_hash: &minted.digest,
        hint: &minted.hint,
        can_write: valid.can_write,
        expires_at: valid.lifetime_days.map(|days| Utc::now() + Duration::days(days)),
    };
    api_tokens::create(&ctx.state.db, user.id, new).await?;
    let page = tokens_page(
        &ctx,
        user.id,
        TokenForm::default(),
        FieldErrors::default(),
        Some(minted.secret),
    );
    // 201 with the page itself, not a redirect: the secret must not travel through a cookie or
    // a URL, and reloading this page does not show it again.
    let mut response = render(StatusCode::CREATED, &page.await?);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn revoke(
    SignedIn { user, .. }: SignedIn,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    if !api_tokens::revoke(&ctx.state.db, user.id, id).await? {
        return Err(ctx.not_found().await);
    }
    // Every instance drops its cached copy (this one included).
    let revoked = crate::cluster::Event::TokensRevoked { user_id: user.id };
    ctx.state.cluster.announce(revoked).await;
    ctx.flash("Token revoked: it no longer works.");
    Ok(Redirect::to("/settings/tokens/").into_response())
}
