//! Operations endpoints and the catch-all: health checks for the load balancer, the stylesheet
//! and icon, `robots.txt`, the trailing-slash redirect and the 404 page.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::error::AppError;
use crate::layout::{CSS_URL, FAVICON_URL, PageContext, favicon, render, stylesheet};
use crate::session::RequestContext;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(&CSS_URL, get(stylesheet))
        .route(&FAVICON_URL, get(favicon))
        .route("/favicon.ico", get(favicon_ico))
        .route("/robots.txt", get(robots))
}

/// Browsers ask for `/favicon.ico` whatever the page links: send them to the SVG icon. A
/// temporary redirect, cached for a day, because the icon's name changes with its content.
async fn favicon_ico() -> Response {
    let mut response = Redirect::to(&FAVICON_URL).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

/// Crawlers may read the public site; the admin panel, accounts, notes and the one-person
/// subscription links are not for them. Points at the sitemap.
async fn robots(State(state): State<AppState>) -> Response {
    let sitemap = folio_jobs::site_urls::absolute(&state.settings.base_url, "/site/sitemap.xml");
    let body = format!(
        "User-agent: *\n\
         Allow: /site/\n\
         Disallow: /site/subscribe/confirm/\n\
         Disallow: /site/unsubscribe/\n\
         Disallow: /admin/\n\
         Disallow: /settings/\n\
         Disallow: /account/\n\
         Disallow: /signin/\n\
         Disallow: /signup/\n\
         Disallow: /signout/\n\
         Disallow: /forgot-password/\n\
         Disallow: /notes/\n\
         Disallow: /pads/\n\
         Disallow: /hooks/\n\
         \n\
         Sitemap: {sitemap}\n"
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Ready when the database answers; the load balancer sends traffic only then. The body also
/// says whether the cache (Redis) answers, but an unreachable Redis does not make an instance
/// unready: every instance shares the same Redis, so taking them all out of the load balancer
/// would only turn a degraded site (public pages still served, signed-in pages a 503 with
/// `Retry-After`) into no site, and make ECS replace healthy tasks.
///
/// After the shutdown signal it answers 503 `draining` whatever the database says, so the load
/// balancer stops sending here while the instance still serves (see `drain`).
async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response();
    }
    let cache = match state.cluster.ping().await {
        Ok(()) if state.cluster.redis().is_some() => "cache: redis ok",
        Ok(()) => "cache: memory",
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: Redis unreachable (serving degraded)");
            "cache: redis unreachable (degraded)"
        }
    };
    // A database that is down often doesn't refuse, it just doesn't answer: the check answers
    // 503 within its own time limit rather than make the load balancer's check time out.
    let ping = tokio::time::timeout(READINESS_DATABASE_TIMEOUT, state.db.ping())
        .await
        .unwrap_or_else(|_| Err(folio_db::DbErr::Custom("no answer in time".into())));
    match ping {
        Ok(()) => format!("ready\ndatabase: ok\n{cache}\n").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("database unreachable\n{cache}\n"),
            )
                .into_response()
        }
    }
}

/// How long `/readyz` waits for the database: under the local stack's haproxy check interval
/// (1 s), far under the ALB's health check timeout (5 s).
const READINESS_DATABASE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

#[derive(Template)]
#[template(path = "features/ops/templates/not_found.html")]
struct NotFoundTemplate {
    page: PageContext,
}

impl RequestContext {
    /// The 404 page for this visitor (their header, not a "Sign in" link), as an error to return.
    pub async fn not_found(&self) -> AppError {
        match self.page("Page not found").await {
            Ok(page) => AppError::Page(Box::new(render(
                StatusCode::NOT_FOUND,
                &NotFoundTemplate { page },
            ))),
            Err(err) => err,
        }
    }
}

/// Every page route ends in a slash; a path without one is redirected to it. Anything else is
/// the 404 page.
pub async fn fallback(uri: Uri, ctx: Result<RequestContext, AppError>) -> Result<Response, AppError> {
    let path = uri.path();
    if !path.ends_with('/') && !path.starts_with("/static/") && stays_on_this_site(path) {
        let target = match uri.query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        // 308 keeps the method and body, so a form posted to the slash-less URL still works.
        return Ok(Redirect::permanent(&target).into_response());
    }
    Err(match ctx {
        // The site's own 404, with a link to the site's home.
        Ok(ctx) if path.starts_with("/site/") => crate::features::site::pages::not_found(&ctx),
        Ok(ctx) => ctx.not_found().await,
        Err(_) => AppError::NotFound,
    })
}

/// Whether `path`, sent back as a `Location`, is read by browsers as a path on this site. A
/// leading `//` names another host (`//evil.com/`), and browsers read `\` as `/`, so `/\evil.com`
/// does too: such a path gets the 404 page, never a redirect.
fn stays_on_this_site(path: &str) -> bool {
    path.starts_with('/') && !path[1..].starts_with('/') && !path.contains('\\')
}
