//! NUL characters, refused at the edge. No one types one, and PostgreSQL's text can't hold it:
//! a NUL that reached a query there was a 500 (a slug in a public URL, an admin search, the
//! contact form), while SQLite stored it. Refused the same on every backend, before any
//! handler runs: in the address (path or query, where it can only arrive as `%00`) and in a
//! form's fields. The API is left to itself: it reads every parameter and field into a type
//! that refuses NUL (`features::api::text`, numeric ids), with the statuses its OpenAPI
//! document lists for each operation.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const IN_ADDRESS: &str = "The address contains a NUL character (%00), which no page or parameter accepts.";
/// Shown when a form's field carries a NUL.
pub const IN_FORM: &str =
    "The form contained a NUL character, which Folio cannot store. Remove it and send the form again.";

/// Answers 400 (the error page) to a request outside the API whose path or query carries `%00`.
pub async fn refuse_in_address(request: Request, next: Next) -> Response {
    let raw = request.uri().path_and_query().map_or("", |p| p.as_str());
    if raw.contains("%00") && !request.uri().path().starts_with("/api/") {
        return AppError::BadRequest(IN_ADDRESS).into_response();
    }
    next.run(request).await
}

/// Whether a url-encoded form body carries a NUL: encoded (`%00`; a literal "%00" typed by
/// someone is sent as `%2500`) or raw.
pub fn in_form(body: &[u8]) -> bool {
    body.contains(&0) || body.windows(3).any(|w| w == b"%00")
}

#[cfg(test)]
mod tests {
    use super::in_form;
    use crate::domain::{Email, Name, NoteText};

    #[test]
    fn finds_nul_in_a_form_body_and_nothing_else() {
        assert!(in_form(b"name=a%00b&csrf_token=x"));
        assert!(in_form(b"name=a\0b"));
        assert!(!in_form(b"name=100%25&text=%2500"));
        assert!(!in_form(b"text=%0A%0D%09"));
    }

    proptest::proptest! {
        /// Whatever the fields hold (any Unicode, `%`, `+`, `&`, `=`), a form as a browser
        /// encodes it is refused exactly when a value has a NUL.
        #[test]
        fn a_form_is_refused_exactly_when_a_field_holds_nul(
            fields in proptest::collection::vec(("[a-z_]{1,8}", "(\\PC|%|\\+|&|=|\\x00){0,40}"), 1..5)
        ) {
            let body = serde_urlencoded::to_string(&fields).unwrap();
            let holds_nul = fields.iter().any(|(_, value)| value.contains('\0'));
            proptest::prop_assert_eq!(in_form(body.as_bytes()), holds_nul, "{}", body);
        }

        /// And the fields' own parsers refuse NUL wherever it stands, on every backend alike.
        #[test]
        fn no_field_parser_takes_nul(before in "\\PC{0,20}", after in "\\PC{0,20}") {
            let value = format!("{before}\0{after}");
            proptest::prop_assert!(Name::parse(&value).is_err());
            proptest::prop_assert!(NoteText::parse(&value).is_err());
            proptest::prop_assert!(Email::parse(&value).is_err());
            proptest::prop_assert!(crate::content::text_block(&value, 1000).is_err());
        }
    }
}
