//! The text fields of request bodies, with JSON Schema patterns that say exactly what the
//! forms' parsers accept ([`Name::parse`](crate::domain::Name::parse),
//! [`NoteText::parse`](crate::domain::NoteText::parse)), so a client (or a fuzzer) can tell a
//! valid value from the schema alone. Whitespace is Rust's `trim` set (Unicode White_Space);
//! control characters are C0, DEL and C1.

use serde::Deserialize;
use utoipa::ToSchema;

/// A pad or note name: 1 to 100 characters once surrounding whitespace is trimmed, with no
/// control characters.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    value_type = String,
    pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f])?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
)]
#[serde(transparent)]
pub struct NameText(pub String);

/// A note's text: up to 262,144 characters, not only whitespace, no NUL.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    value_type = String,
    max_length = 262144,
    pattern = r"^[^\x00]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00][^\x00]*$"
)]
#[serde(transparent)]
pub struct NoteBody(pub String);

#[cfg(test)]
mod tests {
    use crate::domain::{Name, NoteText};

    /// The whitespace the patterns name is exactly what `trim` removes, among the characters
    /// of the Basic Multilingual Plane.
    #[test]
    fn the_patterns_whitespace_is_trims() {
        let listed: Vec<char> =
            "\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}"
                .chars()
                .chain('\u{2000}'..='\u{200a}')
                .collect();
        for c in (0u32..0x10000).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), listed.contains(&c), "{c:?}");
        }
    }

    #[test]
    fn parsers_agree_with_the_documented_rules() {
        assert!(Name::parse(" \u{3000}a b\u{85}").is_ok());
        assert!(Name::parse("a\u{85}b").is_err());
        assert!(Name::parse(&format!(" {} ", "x".repeat(100))).is_ok());
        assert!(NoteText::parse("\u{3000}x").is_ok());
        assert!(NoteText::parse("x\0").is_err());
    }
}

/// An id as JSON Schema's `integer` allows it, `5` or `5.0`, or null.
pub fn optional_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    Option::<serde_json::Number>::deserialize(deserializer)?
        .map(|number| {
            whole(&number).ok_or_else(|| D::Error::custom(format!("expected an id, found {number}")))
        })
        .transpose()
}

/// A required whole number as JSON Schema's `integer` allows it, `5` or `5.0`.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    whole(&number).ok_or_else(|| D::Error::custom(format!("expected a whole number, found {number}")))
}

/// [`optional_id`] for a field that may be left out: `Some(None)` is an explicit null.
pub fn present_optional_id<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<i64>>, D::Error> {
    optional_id(deserializer).map(Some)
}

/// A JSON number that is a whole number within `i64`.
fn whole(number: &serde_json::Number) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_807.0;
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|value| value.fract() == 0.0 && (-LIMIT..LIMIT).contains(value))
            .map(|value| value as i64)
    })
}

#[cfg(test)]
mod id_tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional_id")]
        id: Option<i64>,
    }

    fn parse(json: &str) -> Option<Option<i64>> {
        serde_json::from_str::<Body>(json).ok().map(|body| body.id)
    }

    #[test]
    fn ids_are_whole_numbers_in_any_spelling() {
        assert_eq!(parse(r#"{"id": 5}"#), Some(Some(5)));
        assert_eq!(parse(r#"{"id": -5.0}"#), Some(Some(-5)));
        assert_eq!(parse(r#"{"id": null}"#), Some(None));
        assert_eq!(parse("{}"), Some(None));
        assert_eq!(parse(r#"{"id": 5.5}"#), None);
        assert_eq!(parse(r#"{"id": 1e30}"#), None);
        assert_eq!(parse(r#"{"id": "5"}"#), None);
    }
}
