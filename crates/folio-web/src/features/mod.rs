//! One folder per feature; each exports `router()` and keeps its handlers, forms and templates
//! together. The app merges the routers.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod app;
pub mod hooks;
pub mod media;
pub mod notes;
pub mod ops;
pub mod pads;
pub mod site;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::AppError;
use crate::session::RequestContext;

/// The numeric id in a route like `/notes/{id}/`. Anything that is not a positive integer
/// (letters, overflow, broken percent-encoding) is the same 404 as a missing row.
#[derive(Clone, Copy, Debug)]
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(raw)| raw);
        if let Some(id) = raw
            .ok()
            .and_then(|raw| raw.parse::<i64>().ok())
            .filter(|id| *id > 0)
        {
            return Ok(PathId(id));
        }
        // After `SignedIn`, the request's context is cached: use it for the visitor's 404 page.
        Err(match parts.extensions.get::<RequestContext>() {
            Some(ctx) => ctx.not_found().await,
            None => AppError::NotFound,
        })
    }
}
