//! The JSON API: `/api/v1/…`, its OpenAPI 3.1 document at `/api/openapi.json` and its docs
//! at `/api/docs`. Routes and document come from one registration (utoipa-axum's
//! `routes!`), so neither can name an operation the other lacks.

mod auth;
mod categories;
mod content;
mod docs;
mod http;
mod items;
mod me;
mod notes;
mod pads;
mod paging;
pub mod problem;
mod text;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{TOKEN_PREFIX, identify, mint_token};
use problem::{ApiError, PROBLEM_JSON};

use tower_http::limit::RequestBodyLimitLayer;

use crate::app::MAX_BODY_BYTES;
use crate::state::AppState;
use crate::uploads::MAX_UPLOAD_BODY_BYTES;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Folio API",
        version = "1",
        description = "Your notes and pads, and the site's categories and items, as JSON. Authenticate \
                       with a personal access token made in Settings, sent as `Authorization: Bearer \
                       folio_pat_…`; a read-only token can't change anything. The site's published \
                       content is public (no token needed); staff see drafts and change the content \
                       with the admin panel's rules. Errors are RFC 9457 problem details. Lists are paged with \
                       `page` and `per_page` (at most 500) and carry `Link` and `X-Total-Count`. \
                       Reads carry an `ETag` (send it in `If-None-Match` for a 304); writes accept it \
                       in `If-Match` and answer 412 when the resource changed since.\n\nEach token \
                       (or browser session) may make a number of requests a minute: the `RateLimit` \
                       header says how many are left, and a 429 carries `Retry-After`. Anonymous callers are counted \
                       per client address."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "account", description = "Who is calling"),
        (name = "pads", description = "Your pads"),
        (name = "notes", description = "Your notes"),
        (name = "site", description = "The site's categories and items: anyone reads what is published; staff see drafts and change them"),
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

/// The API's routes and the OpenAPI document they make. Every body is limited to 4 MiB but
/// an image upload's, which has room for the largest image the admin panel takes.
fn registered() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let json = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::show))
        .routes(routes!(pads::list, pads::create))
        .routes(routes!(pads::show, pads::update, pads::delete))
        .routes(routes!(notes::list, notes::create))
        .routes(routes!(notes::show, notes::update, notes::delete))
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(categories::show, categories::update, categories::delete))
        .routes(routes!(items::list, items::create))
        .routes(routes!(items::show, items::update, items::delete))
        .routes(routes!(items::publish))
        .routes(routes!(items::unpublish))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let uploads = OpenApiRouter::new()
        .routes(routes!(categories::set_image, categories::remove_image))
        .routes(routes!(items::set_image, items::remove_image))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BODY_BYTES));
    let (router, mut openapi) = json.merge(uploads).split_for_parts();
    const ONE: &[(&str, &str)] = &[("read", "show"), ("change", "update"), ("delete", "delete")];
    const WITH_IMAGE: &[(&str, &str)] = &[("set_image", "image_set"), ("remove_image", "image_remove")];
    const PUBLISHING: &[(&str, &str)] = &[("publish", "publish"), ("unpublish", "unpublish")];
    link_created_to_its_operations(&mut openapi, "/api/v1/notes", "notes", &[ONE]);
    link_created_to_its_operations(&mut openapi, "/api/v1/pads", "pads", &[ONE]);
    link_created_to_its_operations(
        &mut openapi,
        "/api/v1/categories",
        "categories",
        &[ONE, WITH_IMAGE],
    );
    link_created_to_its_operations(
        &mut openapi,
        "/api/v1/items",
        "items",
        &[ONE, WITH_IMAGE, PUBLISHING],
    );
    (router, openapi)
}

/// OpenAPI links from a create's 201 to the operations on what it made (`(link name,
/// operation)` pairs, the operation id without its `prefix_`), so a client (or a stateful
/// fuzzer) knows where the new id goes.
fn link_created_to_its_operations(
    openapi: &mut utoipa::openapi::OpenApi,
    path: &str,
    prefix: &str,
    operations: &[&[(&str, &str)]],
) {
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
    for (name, operation) in operations.iter().flat_map(|set| set.iter()) {
        let link = LinkBuilder::new()
            .operation_id(format!("{prefix}_{operation}"))
            .parameter("id", "$response.body#/id")
            .build();
        response.links.insert((*name).to_owned(), RefOr::T(link));
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
