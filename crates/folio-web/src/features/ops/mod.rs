//! Operations endpoints and the catch-all: health checks for the load balancer, the stylesheet,
//! the trailing-slash redirect and the 404 page.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::error::{AppError, NotFoundPage};
use crate::layout::{CSS_URL, PageContext, render, stylesheet};
use crate::session::RequestContext;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(&CSS_URL, get(stylesheet))
}

/// Ready when the database answers; the load balancer sends traffic only then.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "features/ops/templates/not_found.html")]
struct NotFoundTemplate {
    page: PageContext,
}

/// Every page route ends in a slash; a path without one is redirected to it. Anything else is
/// the 404 page.
pub async fn fallback(uri: Uri) -> Result<Response, AppError> {
    let path = uri.path();
    if !path.ends_with('/') && !path.starts_with("/static/") {
        let target = match uri.query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        // 308 keeps the method and body, so a form posted to the slash-less URL still works.
        return Ok(Redirect::permanent(&target).into_response());
    }
    Err(AppError::NotFound)
}

/// Middleware: a 404 from anywhere (a missing route, or a note that isn't yours) is rendered
/// as the full 404 page, with the visitor's header. `AppError` alone can't do that: it doesn't
/// know who is asking.
pub async fn not_found_with_context(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    // Built once and cached in the request, so the handler reuses it.
    let ctx = RequestContext::from_request_parts(&mut parts, &state).await.ok();
    let response = next.run(Request::from_parts(parts, body)).await;
    match (response.extensions().get::<NotFoundPage>(), ctx) {
        (Some(_), Some(ctx)) => match ctx.page("Page not found").await {
            Ok(page) => render(StatusCode::NOT_FOUND, &NotFoundTemplate { page }),
            Err(_) => response,
        },
        _ => response,
    }
}
