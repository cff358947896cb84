//! `/api/v1/me`: who the credentials belong to, and what they may do.

use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{ApiUser, Credential};
use super::http::read_response;
use super::problem::{ApiResult, CallerProblems};
use crate::session::RequestContext;

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub is_staff: bool,
    /// `token` or `session`.
    pub credential: &'static str,
    /// False for a read-only token.
    pub can_write: bool,
    /// With a browser session: the token to send in `X-CSRF-Token` on writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// Who am I
#[utoipa::path(
    get, path = "/api/v1/me", operation_id = "me_show", tag = "account",
    responses(
        (status = 200, description = "The caller", body = Me, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn show(caller: ApiUser, ctx: RequestContext, headers: HeaderMap) -> ApiResult<Response> {
    let (credential, csrf_token) = match caller.credential {
        Credential::Token { .. } => ("token", None),
        Credential::Session => ("session", Some(ctx.csrf_token().await?)),
    };
    let me = Me {
        id: caller.id,
        email: caller.email,
        is_staff: caller.is_staff,
        credential,
        can_write: caller.can_write,
        csrf_token,
    };
    read_response(&headers, &me)
}
