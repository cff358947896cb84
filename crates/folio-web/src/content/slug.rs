//! Slugs: the URL names of categories and items. Staff may type one; when they leave it empty
//! it is derived from the name or title.

use crate::forms::REQUIRED;

/// A slug: 1 to 200 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub const MAX_CHARS: usize = 200;

    /// Parses a slug typed by staff (surrounding spaces are ignored).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let slug = raw.trim();
        if slug.is_empty() {
            return Err(REQUIRED.into());
        }
        if slug.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "Ensure this value has at most {} characters (it has {}).",
                Self::MAX_CHARS,
                slug.chars().count()
            ));
        }
        let allowed = slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || slug.starts_with('-') || slug.ends_with('-') {
            return Err(
                "Enter a valid slug: lowercase letters, digits and hyphens, not starting or ending with a hyphen."
                    .into(),
            );
        }
        Ok(Self(slug.to_owned()))
    }

    /// The slug typed by staff, or when `raw` is empty the one derived from `source`, the
    /// `source_label` field (the name or title). Errors are for the slug field. `Ok(None)`: both
    /// are empty, and the source field's own "required" says what to do.
    pub fn parse_or_derive(raw: &str, source: &str, source_label: &str) -> Result<Option<Self>, String> {
        if !raw.trim().is_empty() {
            return Self::parse(raw).map(Some);
        }
        if source.trim().is_empty() {
            return Ok(None);
        }
        let derived = slugify(source);
        if derived.is_empty() {
            return Err(format!(
                "Enter a slug: this {source_label} has no letters or digits to make one from."
            ));
        }
        Ok(Some(Self(derived)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-cases ASCII letters and digits, turns every run of anything else into one hyphen, and
/// trims hyphens; common Latin accents lose their mark first, so "Café" becomes "cafe".
pub fn slugify(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut pending_hyphen = false;
    for c in source.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            let hyphen = pending_hyphen && !out.is_empty();
            // Fits by construction: the hyphen and the letter after it must both fit, or the
            // slug ends here (a hyphen at 200 then a letter at 201 once made a 201-char slug).
            if out.len() + usize::from(hyphen) + 1 > Slug::MAX_CHARS {
                break;
            }
            if hyphen {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else if c != '\'' {
            pending_hyphen = true;
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The unaccented letter(s) for common Latin letters with diacritics.
fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => "",
    };
    let keep = folded.is_empty().then_some(c);
    folded.chars().chain(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_examples() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  Rust 2024 -- edition  "), "rust-2024-edition");
        assert_eq!(slugify("Café crème"), "cafe-creme");
        assert_eq!(slugify("Don't panic"), "dont-panic");
        assert_eq!(slugify("日本"), "");
        assert_eq!(slugify(&"a".repeat(300)).len(), 200);
        // 199 letters, then a word: the hyphen would be the 200th character and the next
        // letter the 201st, so the slug stops before the hyphen.
        assert_eq!(slugify(&format!("{} b", "a".repeat(199))), "a".repeat(199));
        let title = format!("{} {}End", "x".repeat(7), "Straße ".repeat(27));
        assert_eq!(title.chars().count(), 200);
        let slug = slugify(&title);
        assert!(
            slug.len() <= Slug::MAX_CHARS && Slug::parse(&slug).is_ok(),
            "{slug}"
        );
    }

    proptest::proptest! {
        /// Whatever the title (any Unicode: multi-byte letters, combining marks, emoji), the
        /// derived slug is empty or a slug the form itself accepts, so saving an unchanged form
        /// never fails on a field the editor did not touch.
        #[test]
        fn derived_slugs_always_parse(title in "\\PC{0,260}", tail in "(ß|æ|é|e\u{301}|😀| |-|a){0,60}") {
            let source = format!("{title}{tail}");
            let slug = slugify(&source);
            proptest::prop_assert!(slug.len() <= Slug::MAX_CHARS);
            if !slug.is_empty() {
                proptest::prop_assert_eq!(Slug::parse(&slug).map(|s| s.0), Ok(slug.clone()));
            }
        }
    }

    #[test]
    fn typed_slugs_are_validated() {
        assert_eq!(Slug::parse(" my-item-2 ").unwrap().as_str(), "my-item-2");
        for bad in ["", "My-Item", "a b", "-a", "a-", "a_b", "ü", "a/b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn empty_slug_is_derived() {
        assert_eq!(
            Slug::parse_or_derive("", "My First Item", "title")
                .unwrap()
                .unwrap()
                .as_str(),
            "my-first-item"
        );
        assert_eq!(
            Slug::parse_or_derive("custom", "My First Item", "title")
                .unwrap()
                .unwrap()
                .as_str(),
            "custom"
        );
        assert!(Slug::parse_or_derive("", "!!!", "title").is_err());
        assert_eq!(Slug::parse_or_derive(" ", "  ", "name"), Ok(None));
    }
}
