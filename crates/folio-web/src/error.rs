//! The one error type at the HTTP edge, and what each case tells the person. It knows nothing
//! of pages: `layout` renders it (logging an internal error's detail once, there), so the
//! dependency runs one way, layout to error.

use axum::http::StatusCode;
use axum::response::Response;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or someone else's: the two look the same on purpose.
    #[error("not found")]
    NotFound,
    /// The form's CSRF token is missing or does not match.
    #[error("CSRF token missing or invalid")]
    Csrf,
    /// The request could not be read (malformed body, wrong content type, …).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    /// An uploaded file over [`crate::uploads::MAX_IMAGE_BYTES`].
    #[error("image too large")]
    ImageTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An error page already rendered with the request's context (the 404 page with the
    /// visitor's own header: see `RequestContext::not_found`).
    #[error("error page")]
    Page(Box<Response>),
    /// Too many attempts from this client or on this account; try again after the delay.
    #[error("rate limited ({message})")]
    RateLimited {
        retry_after_secs: u64,
        message: &'static str,
    },
    /// A shared service (the session store in Redis) can't be reached; nothing was changed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] folio_db::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The status, the page title and the message the person sees.
    pub(crate) fn status_and_message(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "The page you asked for does not exist.",
            ),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form was sent without a valid security token. Go back, reload the page and try again.",
            ),
            Self::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", why),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "What you sent is larger than Folio accepts (images up to 16 MB, other forms up to 4 MB).",
            ),
            Self::ImageTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Image too large",
                "Images may be at most 16 MB and this one is larger. Go back and choose a smaller file; nothing was saved.",
            ),
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported form encoding",
                "Forms must be sent as application/x-www-form-urlencoded (or multipart/form-data where a file is expected).",
            ),
            Self::RateLimited { message, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "Too many requests", message)
            }
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Briefly unavailable",
                "Folio could not reach its session store, so nothing was changed. Please try again in a few seconds.",
            ),
            Self::Database(err) if folio_db::is_unreachable(err) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Briefly unavailable",
                "Folio could not reach its database. If you were saving something, check whether it was saved, then try again in a few seconds.",
            ),
            Self::Page(_) | Self::Database(_) | Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "We could not complete your request. Please try again in a moment.",
            ),
        }
    }
}

impl AppError {
    /// What the `Retry-After` header says, for the errors that have one.
    pub(crate) fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            Self::Database(err) if folio_db::is_unreachable(err) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }
}

/// How long a client is asked to wait after a 503 (the session store or the database could
/// not be reached).
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// A rate limit's verdict as a result: `Err(RateLimited)` when over the limit.
pub fn within_limit(
    verdict: crate::security::rate_limit::Verdict,
    message: &'static str,
) -> Result<(), AppError> {
    match verdict {
        crate::security::rate_limit::Verdict::Allowed => Ok(()),
        crate::security::rate_limit::Verdict::Limited { retry_after_secs } => Err(AppError::RateLimited {
            retry_after_secs,
            message,
        }),
    }
}

pub type AppResult<T> = Result<T, AppError>;
