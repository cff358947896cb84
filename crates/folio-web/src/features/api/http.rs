//! The API's conventions in one place: JSON bodies in (strict) and out (with an `ETag`),
//! conditional requests, and the `Location` of something created.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::problem::{ApiError, ApiResult};
use crate::error::AppError;

/// A JSON request body. Anything but `application/json` is a 415; a body that is not JSON, has
/// an unknown field or a field of the wrong type is a 400 naming it; over the limit, a 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(AppError::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from(AppError::PayloadTooLarge)
            } else {
                ApiError::BadRequest("The request body could not be read.".into())
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|err| ApiError::BadRequest(format!("The JSON body was refused: {err}.")))
    }
}

/// Query parameters; one that can't be read (a repeated name, broken encoding) is a 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|err| ApiError::BadRequest(format!("The query string was refused: {err}.")))
    }
}

/// `application/json`, or a `+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A strong validator of a representation: a digest of its bytes.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body)[..16]))
}

/// The JSON of `value` and its ETag.
fn versioned<T: Serialize>(value: &T) -> ApiResult<(Vec<u8>, String)> {
    let body = serde_json::to_vec(value).map_err(|err| AppError::Internal(err.into()))?;
    let etag = etag_of(&body);
    Ok((body, etag))
}

/// A read: 200 with the JSON and its ETag, or 304 when `If-None-Match` already names it.
/// Private to the caller, and always revalidated.
pub fn read_response<T: Serialize>(request: &HeaderMap, value: &T) -> ApiResult<Response> {
    let (body, etag) = versioned(value)?;
    if if_none_match_hits(request, &etag) {
        return Ok(with_validators(StatusCode::NOT_MODIFIED.into_response(), &etag));
    }
    Ok(json_response(StatusCode::OK, body, &etag))
}

/// A read of public content: as [`read_response`], but an anonymous caller's answer may be
/// kept by browsers and the CDN for a minute (what a signed-in caller reads may include
/// drafts, so theirs stays private).
pub fn public_read_response<T: Serialize>(
    request: &HeaderMap,
    value: &T,
    anonymous: bool,
) -> ApiResult<Response> {
    let mut response = read_response(request, value)?;
    if anonymous {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    }
    Ok(response)
}

/// How long shared caches may keep public content (the site's lists use the same).
const PUBLIC_CACHE: &str = "public, max-age=60";

/// A written resource: its JSON and ETag with `status` (200, or 201 with `location`).
pub fn written_response<T: Serialize>(
    status: StatusCode,
    value: &T,
    location: Option<String>,
) -> ApiResult<Response> {
    let (body, etag) = versioned(value)?;
    let mut response = json_response(status, body, &etag);
    if let Some(location) = location.and_then(|location| HeaderValue::from_str(&location).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn json_response(status: StatusCode, body: Vec<u8>, etag: &str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    with_validators(response, etag)
}

fn with_validators(mut response: Response, etag: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Authorization, Cookie"));
    response
}

/// The entity tags of a conditional header: `*`, or a list of (possibly weak) tags; `None`
/// when the header is absent. A value that is not text names no tag: it matches nothing, so a
/// garbled `If-Match` refuses the write rather than skipping the check.
fn listed_tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    if !headers.contains_key(&name) {
        return None;
    }
    let mut tags = Vec::new();
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else { continue };
        tags.extend(
            value
                .split(',')
                .map(|tag| tag.trim().to_owned())
                .filter(|tag| !tag.is_empty()),
        );
    }
    Some(tags)
}

/// `If-None-Match` uses the weak comparison: `W/"x"` matches `"x"`.
fn if_none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    listed_tags(headers, header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.iter()
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}

/// Checks a write's `If-Match` against the resource as it is now, built by `current` only when
/// the header was sent (the ETag is the digest of its JSON). Returns whether the write is
/// conditional, so the caller can make its statement conditional too.
pub fn check_version<T: Serialize>(headers: &HeaderMap, current: impl FnOnce() -> T) -> ApiResult<bool> {
    if !headers.contains_key(header::IF_MATCH) {
        return Ok(false);
    }
    let (_, etag) = versioned(&current())?;
    check_if_match(headers, &etag)?;
    Ok(true)
}

/// A write with `If-Match` goes ahead only when it names the current version (strong
/// comparison: a weak tag never matches). Without the header, it goes ahead.
fn check_if_match(headers: &HeaderMap, current_etag: &str) -> ApiResult<()> {
    match listed_tags(headers, header::IF_MATCH) {
        None => Ok(()),
        Some(tags) if tags.iter().any(|tag| tag == "*" || tag == current_etag) => Ok(()),
        Some(_) => Err(ApiError::PreconditionFailed),
    }
}

/// 204 for a delete.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn if_match_compares_strongly() {
        let etag = "\"abc\"";
        assert!(check_if_match(&HeaderMap::new(), etag).is_ok());
        assert!(check_if_match(&headers(header::IF_MATCH, "\"abc\""), etag).is_ok());
        assert!(check_if_match(&headers(header::IF_MATCH, "\"x\", \"abc\""), etag).is_ok());
        assert!(check_if_match(&headers(header::IF_MATCH, "*"), etag).is_ok());
        assert!(check_if_match(&headers(header::IF_MATCH, "W/\"abc\""), etag).is_err());
        assert!(check_if_match(&headers(header::IF_MATCH, "\"old\""), etag).is_err());
        assert!(check_if_match(&headers(header::IF_MATCH, ""), etag).is_err());
        let mut garbled = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(b"\xff") {
            garbled.insert(header::IF_MATCH, value);
        }
        assert!(check_if_match(&garbled, etag).is_err());
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = "\"abc\"";
        assert!(if_none_match_hits(
            &headers(header::IF_NONE_MATCH, "W/\"abc\""),
            etag
        ));
        assert!(if_none_match_hits(
            &headers(header::IF_NONE_MATCH, "\"abc\""),
            etag
        ));
        assert!(!if_none_match_hits(
            &headers(header::IF_NONE_MATCH, "\"old\""),
            etag
        ));
        assert!(!if_none_match_hits(&HeaderMap::new(), etag));
    }

    #[test]
    fn json_types() {
        assert!(is_json(&headers(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8"
        )));
        assert!(is_json(&headers(
            header::CONTENT_TYPE,
            "application/merge-patch+json"
        )));
        assert!(!is_json(&headers(header::CONTENT_TYPE, "text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
