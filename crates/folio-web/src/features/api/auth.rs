//! Who is calling the API: a personal access token (`Authorization: Bearer folio_pat_…`) or,
//! for the browser app on the same origin, the signed-in session with its CSRF token in the
//! `X-CSRF-Token` header on writes. Each caller has its own rate limit.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use folio_db::queries::api_tokens::{self, TokenOwner};

use super::problem::{ApiError, ApiResult};
use crate::error::{AppError, within_limit};
use crate::security::client::{client_ip, peer_of};
use crate::security::rate_limit::Usage;
use crate::security::tokens;
use crate::session::RequestContext;
use crate::state::AppState;

/// What every personal access token starts with, so secret scanners can find leaked ones.
pub const TOKEN_PREFIX: &str = "folio_pat_";

/// The header a browser session sends its CSRF token in on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Token { id: i64 },
    Session,
}

/// An authenticated API caller.
#[derive(Clone, Debug)]
pub struct ApiUser {
    pub id: i64,
    pub email: String,
    pub is_staff: bool,
    /// A read and write token, or a session; false for a read-only token.
    pub can_write: bool,
    pub credential: Credential,
}

impl ApiUser {
    /// Refuses a write with a read-only token.
    pub fn require_write(&self) -> ApiResult<()> {
        if self.can_write {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope)
        }
    }

    fn rate_subject(&self) -> String {
        match self.credential {
            Credential::Token { id } => format!("token:{id}"),
            Credential::Session => format!("user:{}", self.id),
        }
    }
}

/// A new token: what is shown once, and what is stored.
#[derive(Debug)]
pub struct MintedToken {
    pub secret: String,
    pub digest: String,
    pub hint: String,
}

/// Makes a token: the prefix, then 256 random bits in hex.
pub fn mint_token() -> MintedToken {
    let random = tokens::random_token();
    let secret = format!("{TOKEN_PREFIX}{random}");
    MintedToken {
        digest: tokens::digest(&secret),
        hint: random.chars().take(6).collect(),
        secret,
    }
}

/// The API's middleware: identifies the caller (when there is one), counts the request against
/// the caller's rate limit (an anonymous caller's is per client address), and says what is left of it in `RateLimit` headers. Handlers that
/// need a caller take [`ApiUser`]; the public ones don't.
pub async fn identify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match caller(&state, &mut parts).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    // Anonymous callers (public reads) are counted per client address.
    let subject = match &caller {
        Some(caller) => caller.rate_subject(),
        None => {
            let address = client_ip(&parts.headers, peer_of(&parts), state.settings.trusted_proxy_hops);
            format!(
                "client:{}",
                address.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
            )
        }
    };
    let limit = state.settings.rate_limits.api;
    let usage = state.limiter.hit_with_usage(&limit, &subject).await;
    if let Some(caller) = caller {
        parts.extensions.insert(caller);
    }
    let mut response = match within_limit(
        usage.verdict,
        "Too many API requests from this caller; wait for the time in Retry-After.",
    ) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(limited) => ApiError::from(limited).into_response(),
    };
    add_rate_limit_headers(response.headers_mut(), limit.max, usage);
    response
}

/// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers): the quota per
/// window, and what is left of it.
fn add_rate_limit_headers(headers: &mut HeaderMap, max: u32, usage: Usage) {
    let policy = format!("\"per-caller\";q={max};w=60");
    let left = format!("\"per-caller\";r={};t={}", usage.remaining, usage.reset_secs);
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", left)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// The caller named by the request: its bearer token, else its session. `Ok(None)` when it
/// sent neither; an `Authorization` header that is not a usable token is an error, never
/// silently anonymous.
async fn caller(state: &AppState, parts: &mut Parts) -> ApiResult<Option<ApiUser>> {
    if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
        return token_caller(state, authorization).await.map(Some);
    }
    let ctx = RequestContext::from_request_parts(parts, state).await?;
    let Some(user) = ctx.user.clone() else {
        return Ok(None);
    };
    if !is_safe(&parts.method) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or(ApiError::CsrfMissing)?;
        ctx.verify_csrf(sent).await.map_err(|err| match err {
            AppError::Csrf => ApiError::CsrfMissing,
            other => ApiError::App(other),
        })?;
    }
    Ok(Some(ApiUser {
        id: user.id,
        email: user.email,
        is_staff: user.is_staff,
        can_write: true,
        credential: Credential::Session,
    }))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn token_caller(state: &AppState, authorization: &HeaderValue) -> ApiResult<ApiUser> {
    let invalid = || ApiError::Unauthenticated { token_sent: true };
    let value = authorization.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || !token.starts_with(TOKEN_PREFIX) {
        return Err(invalid());
    }
    let owner = token_owner(state, &tokens::digest(token)).await?;
    Ok(ApiUser {
        id: owner.user_id,
        email: owner.email,
        is_staff: owner.is_staff,
        can_write: owner.can_write,
        credential: Credential::Token { id: owner.token_id },
    })
}

/// The owner of a usable token: from the cache, else from the database (then cached). Its
/// last use is recorded at most once a minute; the entry that recorded it is dropped, so an
/// entry of a token in use is read again from the database every minute or so.
async fn token_owner(state: &AppState, digest: &str) -> ApiResult<TokenOwner> {
    let cache = &state.api_tokens;
    let generation = cache.generation();
    let (mut owner, cached) = match cache.get(digest) {
        Some(owner) => (owner, true),
        None => {
            let owner = api_tokens::authenticate(&state.db, digest)
                .await?
                .ok_or(ApiError::Unauthenticated { token_sent: true })?;
            (owner, false)
        }
    };
    let touched = api_tokens::touch(&state.db, &owner).await?;
    if let Some(at) = touched {
        owner.last_used_at = Some(at);
    }
    match (cached, touched) {
        (true, Some(_)) => cache.remove(digest),
        (false, _) => cache.put(digest, owner.clone(), generation),
        (true, None) => {}
    }
    Ok(owner)
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiUser>()
            .cloned()
            .ok_or(ApiError::Unauthenticated { token_sent: false })
    }
}
