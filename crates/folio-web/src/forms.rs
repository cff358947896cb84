//! Reading HTML forms: the CSRF-checked form extractor and per-field error messages.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::NewPassword;
use crate::error::AppError;
use crate::session::RequestContext;
use crate::state::AppState;

/// The message of an empty required field (defined with the parsers, which use it too).
pub use crate::domain::REQUIRED;

/// A form with nothing but its CSRF token (delete and action buttons).
#[derive(Deserialize)]
pub struct Confirm {}

/// A url-encoded form whose `csrf_token` field matched the visitor's token. Any other problem
/// with the body (wrong content type, broken encoding, too large) is a clear 4xx, never a 500.
/// Fields of `T` should be `#[serde(default)]` strings, so a missing field is a validation
/// message rather than a rejected request.
pub struct CsrfForm<T> {
    pub ctx: RequestContext,
    pub data: T,
}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = RequestContext::from_request_parts(&mut parts, state).await?;
        let is_form = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("The form could not be read.")
                }
            })?;
        let token: TokenField = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::BadRequest("The form could not be read."))?;
        ctx.verify_csrf(&token.csrf_token).await?;
        if crate::security::nul::in_form(&bytes) {
            return Err(AppError::BadRequest(crate::security::nul::IN_FORM));
        }
        let data = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::BadRequest("The form could not be read."))?;
        Ok(CsrfForm { ctx, data })
    }
}

/// Error messages by field name, for re-rendering a form.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// Records the error of a parse result and returns its value, if it parsed.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.add(field, message)).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every refused field and its message, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&&'static str, &String)> {
        self.0.iter()
    }
}

/// A new password typed twice (sign-up, settings, reset): the first field must be a valid
/// password, the second must be present and equal. Errors go to the matching field.
pub fn new_password_pair(
    errors: &mut FieldErrors,
    (field, value): (&'static str, &str),
    (repeat_field, repeat): (&'static str, &str),
) -> Option<NewPassword> {
    let password = errors.check(field, NewPassword::parse(value));
    if repeat.is_empty() {
        errors.add(repeat_field, REQUIRED);
    } else if password.is_some() && value != repeat {
        errors.add(repeat_field, "Your passwords do not match");
    }
    password
}

/// The first value of `name` in a query string. Lenient on purpose: broken escapes are decoded
/// lossily and repeated keys are fine, so a junk query never turns a page into an error.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Percent-encodes a value for a query string.
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The longest `next` kept.
pub const MAX_NEXT_BYTES: usize = 2_048;

/// `next` when it is a path on this site, else `None`. Refuses `//host`, `/\host`, schemes
/// and control characters, which browsers would treat as another site.
pub fn local_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    // Longer than any page address of ours: dropped rather than sent back in a `Location`.
    let local = next.len() <= MAX_NEXT_BYTES
        && chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_pass_and_other_sites_do_not() {
        assert_eq!(local_path("/"), Some("/"));
        assert_eq!(local_path("/notes/1/?order=name"), Some("/notes/1/?order=name"));
        for bad in [
            "",
            "notes/",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/x\r\nSet-Cookie: a",
            "/a\\b",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_NEXT_BYTES));
        assert_eq!(local_path(&long), None);
        assert!(local_path(&long[..MAX_NEXT_BYTES]).is_some());
    }

    #[test]
    fn query_param_never_fails() {
        assert_eq!(
            query_param(Some("order=name&order=-name"), "order").as_deref(),
            Some("name")
        );
        assert_eq!(query_param(Some("order=%ZZ"), "order").as_deref(), Some("%ZZ"));
        assert_eq!(query_param(Some("a=1"), "order"), None);
        assert_eq!(query_param(None, "order"), None);
        assert_eq!(
            query_param(Some("next=%2Fpads%2F1%2F%3Fx%3D1"), "next").as_deref(),
            Some("/pads/1/?x=1")
        );
    }

    #[test]
    fn query_escape_encodes_what_matters() {
        assert_eq!(
            query_escape("/pads/1/?order=name&x=1"),
            "/pads/1/%3Forder%3Dname%26x%3D1"
        );
    }

    #[test]
    fn first_error_per_field_wins() {
        let mut errors = FieldErrors::default();
        errors.add("name", "first");
        errors.add("name", "second");
        assert_eq!(errors.get("name"), Some("first"));
        assert_eq!(errors.check::<u8>("text", Err("bad".into())), None);
        assert_eq!(errors.get("text"), Some("bad"));
        assert!(!errors.is_empty());
    }
}
