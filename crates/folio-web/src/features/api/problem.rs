//! RFC 9457 problem details: every API error is `application/problem+json`, with the status
//! repeated in the body, a human title and detail, and for a validation error the fields.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::forms::FieldErrors;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error as the client receives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The fields that were refused and why (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One refused field of a request body.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name as it appears in the request body.
    pub field: String,
    pub message: String,
}

/// What an API handler can fail with. Everything becomes a [`Problem`].
#[derive(Debug)]
pub enum ApiError {
    /// No credentials, or a token that is unknown, expired or revoked.
    Unauthenticated { token_sent: bool },
    /// A read-only token asked to write.
    InsufficientScope,
    /// The session's CSRF token is missing from a write's `X-CSRF-Token` header.
    CsrfMissing,
    /// Fields failed validation.
    Invalid(FieldErrors),
    /// The request can't be read: broken JSON, an unknown field, a bad query parameter.
    BadRequest(String),
    /// `If-Match` names a version that is no longer the current one.
    PreconditionFailed,
    /// A change to the site's content by someone who is not (or no longer) staff.
    StaffOnly,
    /// The resource's state forbids the change (a category that still has items).
    Conflict(String),
    /// Anything the HTML side already knows how to refuse (404, 413, 415, 429, 503, 500).
    App(AppError),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl From<folio_db::DbErr> for ApiError {
    fn from(err: folio_db::DbErr) -> Self {
        Self::App(AppError::Database(err))
    }
}

impl ApiError {
    pub fn not_found() -> Self {
        Self::App(AppError::NotFound)
    }

    fn problem(&self) -> Problem {
        let plain = |status: StatusCode, detail: &str| Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        };
        match self {
            Self::Unauthenticated { .. } => plain(
                StatusCode::UNAUTHORIZED,
                "Send a personal access token (made in Settings) as `Authorization: Bearer folio_pat_…`; \
                 this one is missing, unknown, expired or revoked.",
            ),
            Self::InsufficientScope => plain(
                StatusCode::FORBIDDEN,
                "This token may only read. Make a read and write token in Settings to change anything.",
            ),
            Self::CsrfMissing => plain(
                StatusCode::FORBIDDEN,
                "A write with the browser session needs the session's CSRF token in the X-CSRF-Token header.",
            ),
            Self::Invalid(errors) => Problem {
                kind: "/api/docs#validation".into(),
                title: "Invalid fields".into(),
                status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
                detail: "Some fields were refused; nothing was changed.".into(),
                errors: errors
                    .iter()
                    .map(|(field, message)| FieldProblem {
                        field: (*field).to_owned(),
                        message: message.clone(),
                    })
                    .collect(),
            },
            Self::BadRequest(why) => plain(StatusCode::BAD_REQUEST, why),
            Self::PreconditionFailed => plain(
                StatusCode::PRECONDITION_FAILED,
                "If-Match does not name the current version: it changed since you read it. \
                 Read it again (its ETag), then retry.",
            ),
            Self::StaffOnly => plain(StatusCode::FORBIDDEN, "Only staff may change the site's content."),
            Self::Conflict(why) => plain(StatusCode::CONFLICT, why),
            Self::App(err) => {
                let (status, _, message) = err.status_and_message();
                plain(status, message)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Self::App(err) = &self {
            if status == StatusCode::SERVICE_UNAVAILABLE {
                tracing::warn!(error = %err, "API request refused: a backing service is unreachable");
            } else if status.is_server_error() {
                tracing::error!(error = ?err, "API request failed");
            }
        }
        let mut response = problem_response(&problem);
        let headers = response.headers_mut();
        match &self {
            Self::Unauthenticated { token_sent } => {
                let challenge = if *token_sent {
                    r#"Bearer realm="folio", error="invalid_token""#
                } else {
                    r#"Bearer realm="folio""#
                };
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
            Self::InsufficientScope => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="folio", error="insufficient_scope""#),
                );
            }
            Self::App(err) => {
                if let Some(secs) = err.retry_after_secs() {
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
            }
            _ => {}
        }
        response
    }
}

fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

// The problem answers as OpenAPI response sets, so each operation lists the sets it can give
// instead of repeating them. Never built: they only describe.

/// What any operation with a caller may answer.
#[derive(utoipa::IntoResponses)]
pub enum CallerProblems {
    /// No valid credentials: no token, or one unknown, expired or revoked
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// Over the caller's rate limit; see Retry-After
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
}

/// What a write with a JSON body may answer when the body is refused.
#[derive(utoipa::IntoResponses)]
pub enum BodyProblems {
    /// The body could not be read: not JSON, an unknown field, a wrong type
    #[response(status = 400, content_type = "application/problem+json")]
    Unreadable(Problem),
    /// A read-only token, or a session write without X-CSRF-Token
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The body is larger than 4 MiB
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not JSON
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// Invalid fields, listed in `errors`
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// What a change to the site's content may answer when the caller may not make it.
#[derive(utoipa::IntoResponses)]
pub enum StaffProblems {
    /// Not staff, a read-only token, or a session write without X-CSRF-Token
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// What an image upload may answer when the body is refused.
#[derive(utoipa::IntoResponses)]
pub enum UploadProblems {
    /// The multipart body could not be read, or has a part other than `image`
    #[response(status = 400, content_type = "application/problem+json")]
    Unreadable(Problem),
    /// The body is larger than the largest image (16 MiB)
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not multipart/form-data
    #[response(status = 415, content_type = "application/problem+json")]
    NotMultipart(Problem),
    /// No image, or not an image the site takes (listed in `errors`, field `image`)
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// What an operation on one category or item may answer when there is none.
#[derive(utoipa::IntoResponses)]
pub enum ContentMissingProblems {
    /// No such category or item (for anyone but staff, an item that is not published)
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// What a delete may answer when the caller may not write.
#[derive(utoipa::IntoResponses)]
pub enum WriteProblems {
    /// A read-only token, or a session write without X-CSRF-Token
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// What an operation on one resource may answer when there is no such resource of the caller's.
#[derive(utoipa::IntoResponses)]
pub enum MissingProblems {
    /// No such resource of yours (someone else's looks the same)
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// What a conditional write may answer when the resource changed.
#[derive(utoipa::IntoResponses)]
pub enum StaleProblems {
    /// It changed since the ETag in If-Match
    #[response(status = 412, content_type = "application/problem+json")]
    Stale(Problem),
}
