//! The JSON API: `/api/v1/…`, its OpenAPI 3.1 document at `/api/openapi.json` and its docs
//! at `/api/docs`. Routes and document come from one registration (utoipa-axum's
//! `routes!`), so neither can name an operation the other lacks.

mod auth;
mod docs;
mod http;
mod me;
mod notes;
mod pads;
mod paging;
pub mod problem;
mod text;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{TOKEN_PREFIX, identify, mint_token};
use problem::{ApiError, PROBLEM_JSON};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Folio API",
        version = "1",
        description = "Your notes and pads as JSON. Authenticate with a personal access token made in \
                       Settings, sent as `Authorization: Bearer folio_pat_…`; a read-only token can't \
                       change anything. Errors are RFC 9457 problem details. Lists are paged with \
                       `page` and `per_page` (at most 500) and carry `Link` and `X-Total-Count`. \
                       Reads carry an `ETag` (send it in `If-None-Match` for a 304); writes accept it \
                       in `If-Match` and answer 412 when the resource changed since.\n\nEach token \
                       (or browser session) may make a number of requests a minute: the `RateLimit` \
                       header says how many are left, and a 429 carries `Retry-After`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "account", description = "Who is calling"),
        (name = "pads", description = "Your pads"),
        (name = "notes", description = "Your notes"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format!("{TOKEN_PREFIX}<64 hex digits>"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "folio_session",
                "The signed-in browser session (same origin only); writes also need X-CSRF-Token.",
            ))),
        );
    }
}

/// The API's routes and the OpenAPI document they make.
fn registered() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::show))
        .routes(routes!(pads::list, pads::create))
        .routes(routes!(pads::show, pads::update, pads::delete))
        .routes(routes!(notes::list, notes::create))
        .routes(routes!(notes::show, notes::update, notes::delete))
        .split_for_parts();
    link_created_to_its_operations(&mut openapi, "/api/v1/notes", "notes");
    link_created_to_its_operations(&mut openapi, "/api/v1/pads", "pads");
    (router, openapi)
}

/// OpenAPI links from a create's 201 to reading, changing and deleting what it made, so a
/// client (or a stateful fuzzer) knows where the new id goes.
fn link_created_to_its_operations(openapi: &mut utoipa::openapi::OpenApi, path: &str, prefix: &str) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::LinkBuilder;
    let created = openapi
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.responses.responses.get_mut("201"));
    let Some(RefOr::T(response)) = created else {
        return;
    };
    for (name, operation) in [("read", "show"), ("change", "update"), ("delete", "delete")] {
        let link = LinkBuilder::new()
            .operation_id(format!("{prefix}_{operation}"))
            .parameter("id", "$response.body#/id")
            .build();
        response.links.insert(name.to_owned(), RefOr::T(link));
    }
}

/// Every API route, the document and the docs page. The caller adds [`identify`] as a layer.
pub fn router() -> Router<AppState> {
    let (api, openapi) = registered();
    let json = openapi.to_pretty_json().unwrap_or_default();
    let spec: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    // Rendered once; each answer shares the bytes instead of copying them.
    let json = Bytes::from(json);
    let docs = Bytes::from(askama::Template::render(&docs::page(&spec)).unwrap_or_default());
    api.route(
        "/api/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json) }
        }),
    )
    .route(
        "/api/docs",
        get(move || {
            let docs = docs.clone();
            async move { Html(docs) }
        }),
    )
    .route(
        "/api",
        get(|| async { axum::response::Redirect::permanent("/api/docs") }),
    )
    .route("/api/{*rest}", axum::routing::any(no_such_endpoint))
}

async fn no_such_endpoint() -> Response {
    ApiError::not_found().into_response()
}

/// The body-limit layer answers a bare 413; API clients get a problem like every other error.
pub async fn explain_bare_errors(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == HeaderValue::from_static(PROBLEM_JSON));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return ApiError::from(crate::error::AppError::PayloadTooLarge).into_response();
    }
    response
}
