//! `/app/`: the browser app (`web/`), served from its build (`FOLIO_WEB_DIST`, default
//! `web/dist`) when there is one. Hashed files under `/app/assets/` are cached for a year;
//! every other path under `/app/` is the app's `index.html` (its router reads the path), always
//! revalidated. Without a build, the page says how to make one: `cargo run` needs no Node.js.
//! In AWS, CloudFront serves the same files from their bucket and never asks the app.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(index))
        .route("/app/assets/{file}", get(asset))
        .route("/app/{*path}", get(any_path))
}

/// Hashed names change with their content, so a copy never goes stale.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The entry page names the current hashed files: always asked for again.
const REVALIDATE: &str = "no-cache";

async fn index(State(state): State<AppState>) -> Response {
    entry_page(&state.settings.web_dist).await
}

/// A file at the build's top level (Vite copies `web/public/` there), or else the entry page.
async fn any_path(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    let dist = &state.settings.web_dist;
    if let Some(name) = plain_name(&path)
        && let Some(response) = file(&dist.join(name), REVALIDATE).await
    {
        return response;
    }
    entry_page(dist).await
}

async fn asset(State(state): State<AppState>, UrlPath(name): UrlPath<String>) -> Response {
    let found = match plain_name(&name) {
        Some(name) => file(&state.settings.web_dist.join("assets").join(name), IMMUTABLE).await,
        None => None,
    };
    found.unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

async fn entry_page(dist: &Path) -> Response {
    match file(&dist.join("index.html"), REVALIDATE).await {
        Some(response) => response,
        None => not_built(dist),
    }
}

/// A single file name of letters, digits, dots, dashes and underscores, not starting with a
/// dot: nothing that could leave the directory.
fn plain_name(name: &str) -> Option<&str> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    plain.then_some(name)
}

async fn file(path: &Path, cache: &'static str) -> Option<Response> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page in place of the app when it was never built.
fn not_built(dist: &Path) -> Response {
    let dist = PathBuf::from(dist).display().to_string();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Notes app not built · Folio</title></head>\
         <body><main><h1>The browser app is not built</h1>\
         <p>This server serves the notes app from <code>{}</code>, and there is nothing there yet. Build it with \
         Node.js 20.19 or newer:</p><pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
         <p>then reload this page. Everything else works without it: <a href=\"/\">your notes</a> as pages.</p>\
         </main></body></html>",
        escape(&dist)
    );
    let mut response = (StatusCode::NOT_FOUND, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_files() {
        assert_eq!(plain_name("index-abc_1.js"), Some("index-abc_1.js"));
        for bad in ["", ".env", "../secret", "a/b", "a\\b", "%2e%2e", "x y"] {
            assert_eq!(plain_name(bad), None, "{bad}");
        }
    }
}
