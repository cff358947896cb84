//! What every page shares: the header, flash messages, the pads sidebar, the stylesheet, and
//! turning a template into a response.

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use folio_db::queries::pads::{self, PadSummary};
use folio_jobs::SiteInfo;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::session::{Flash, RequestContext};

/// The stylesheet, compiled into the binary.
pub const CSS: &str = include_str!("folio.css");

/// `/static/folio.<hash>.css`: the name changes with the content, so it can be cached forever.
pub static CSS_URL: LazyLock<String> = LazyLock::new(|| hashed_path("folio", "css", CSS));

/// `/static/<stem>.<hash>.<extension>` for a file compiled into the binary: the name changes
/// with the content, so browsers and the CDN may keep it forever (see [`immutable`]).
pub fn hashed_path(stem: &str, extension: &str, body: &str) -> String {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    format!("/static/{stem}.{hash}.{extension}")
}

/// A file compiled into the binary, served under its [`hashed_path`] with a one-year cache.
pub fn immutable(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The site icon, compiled into the binary and served like the stylesheet.
pub const FAVICON: &str = include_str!("favicon.svg");

/// `/static/favicon.<hash>.svg`, linked from every page's `<head>`.
pub static FAVICON_URL: LazyLock<String> = LazyLock::new(|| hashed_path("favicon", "svg", FAVICON));

/// The header, flash messages and (on notes pages) sidebar of a page.
#[derive(Debug)]
pub struct PageContext {
    pub title: String,
    pub user_email: Option<String>,
    pub flashes: Vec<Flash>,
    pub csrf_token: String,
    /// The user's pads for the sidebar; `None` on pages without the sidebar.
    pub pads: Option<Vec<PadSummary>>,
    /// The pad being shown, highlighted in the sidebar.
    pub active_pad: Option<i64>,
    /// The visitor is staff: the header links to the admin panel (and site pages to the
    /// admin page of what they show).
    pub is_staff: bool,
    /// False on pages rendered without knowing who is asking (error pages from `AppError`):
    /// they show no account links rather than a wrong "Sign in" to a signed-in user.
    pub knows_visitor: bool,
    /// The site's name and description (the public site's header, titles and meta tags).
    pub site: Arc<SiteInfo>,
}

/// What pages rendered without the app's state (error pages from `AppError`) call the site.
static DEFAULT_SITE: LazyLock<Arc<SiteInfo>> = LazyLock::new(Arc::default);

impl PageContext {
    pub fn css_url(&self) -> &str {
        &CSS_URL
    }

    pub fn favicon_url(&self) -> &str {
        &FAVICON_URL
    }

    /// A page without request context (error pages rendered outside a handler).
    pub fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            user_email: None,
            flashes: Vec::new(),
            csrf_token: String::new(),
            pads: None,
            active_pad: None,
            is_staff: false,
            knows_visitor: false,
            site: DEFAULT_SITE.clone(),
        }
    }

    pub fn is_active_pad(&self, id: &i64) -> bool {
        self.active_pad == Some(*id)
    }
}

impl RequestContext {
    /// The context of a page without the sidebar.
    pub async fn page(&self, title: impl Into<String>) -> Result<PageContext, AppError> {
        Ok(PageContext {
            title: title.into(),
            user_email: self.user.as_ref().map(|user| user.email.clone()),
            flashes: self.take_flashes(),
            csrf_token: self.csrf_token().await?,
            pads: None,
            active_pad: None,
            is_staff: self.user.as_ref().is_some_and(|user| user.is_staff),
            knows_visitor: true,
            site: self.state.settings.site.clone(),
        })
    }

    /// The context of a notes page: with the signed-in user's pads in the sidebar.
    pub async fn notes_page(&self, title: impl Into<String>, user_id: i64) -> Result<PageContext, AppError> {
        let mut page = self.page(title).await?;
        page.pads = Some(pads::list_for_user(&self.state.db, user_id).await?);
        Ok(page)
    }
}

/// Renders a template into a response with `status`; a template error is logged and becomes a
/// plain 500 (it can't render the error page with the broken engine either).
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
    }
}

/// 200 OK with the rendered page.
pub fn ok(template: &impl Template) -> Response {
    render(StatusCode::OK, template)
}

/// A form re-rendered because of validation errors.
pub fn invalid(template: &impl Template) -> Response {
    render(StatusCode::UNPROCESSABLE_ENTITY, template)
}

/// The error page, for 4xx and 5xx.
#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub page: PageContext,
    pub status: u16,
    pub message: String,
}

impl ErrorPage {
    pub fn bare(status: StatusCode, title: &str, message: &str) -> Self {
        Self {
            page: PageContext::bare(title),
            status: status.as_u16(),
            message: message.to_owned(),
        }
    }
}

/// An error becomes the error page (or the page it already carries).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Page(page) = self {
            return *page;
        }
        let (status, title, message) = self.status_and_message();
        if status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
            // Expected while Redis or the database is down: a warning, not an error per request.
            tracing::warn!(error = %self, "request refused: a backing service is unreachable");
        } else if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let retry_after = self.retry_after_secs();
        let mut response = render(status, &ErrorPage::bare(status, title, message));
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response
    }
}

/// Serves the stylesheet under its content-hashed name.
pub async fn stylesheet() -> Response {
    immutable("text/css; charset=utf-8", CSS)
}

/// Serves the icon under its content-hashed name.
pub async fn favicon() -> Response {
    immutable("image/svg+xml", FAVICON)
}
