use std::fmt;

/// Longest key accepted. S3 allows 1024 bytes; half leaves room for a bucket prefix and keeps
/// local paths well under common `PATH_MAX` limits.
pub const MAX_KEY_LEN: usize = 512;

/// A validated object key: 1..=512 bytes of '/'-separated segments of `[A-Za-z0-9._-]`, with no
/// empty segment and no segment starting with '.' (which also rules out "." and "..").
///
/// The rules are strict on purpose: a key becomes both a file path (local backend) and a URL
/// path (S3, `/media/{key}`), so anything that could be read differently by a file system, a
/// URL parser or a CDN is refused. Keys are built by Folio (`images/{uuid}/original.jpg`),
/// never from a user's file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

/// Why a string is not a [`Key`]. The rejected text is not echoed: it may come from a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadKey {
    #[error("an object key must not be empty")]
    Empty,
    #[error("an object key must be at most {MAX_KEY_LEN} bytes, this one has {0}")]
    TooLong(usize),
    #[error("an object key must not contain an empty segment (leading, trailing or double '/')")]
    EmptySegment,
    #[error("an object key segment must not start with '.' (this also refuses '.' and '..')")]
    DotSegment,
    #[error("an object key may only contain A-Z, a-z, 0-9, '.', '_', '-' and '/', found {0:?}")]
    BadChar(char),
}

impl Key {
    pub fn parse(s: &str) -> Result<Key, BadKey> {
        if s.is_empty() {
            return Err(BadKey::Empty);
        }
        if s.len() > MAX_KEY_LEN {
            return Err(BadKey::TooLong(s.len()));
        }
        s.split('/').try_for_each(check_segment)?;
        Ok(Key(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the last '.', lower-cased, if the last segment has one.
    pub fn extension(&self) -> Option<String> {
        let name = self.0.rsplit('/').next().unwrap_or_default();
        name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase())
    }
}

fn check_segment(segment: &str) -> Result<(), BadKey> {
    if segment.is_empty() {
        return Err(BadKey::EmptySegment);
    }
    if segment.starts_with('.') {
        return Err(BadKey::DotSegment);
    }
    match segment.chars().find(|c| !is_key_char(*c)) {
        Some(c) => Err(BadKey::BadChar(c)),
        None => Ok(()),
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_keys_folio_builds() {
        for s in [
            "images/0190b7e2-7c1a-7d35-9a9e-3f1c2b4d5e6f/original.jpg",
            "images/abc/w640.webp",
            "a",
            "A_b-c.d",
            "x/y/z/file.tar.gz",
            "name.",
            "trailing-dot./ok",
        ] {
            let key = Key::parse(s).unwrap_or_else(|e| panic!("{s:?} should be a key: {e}"));
            assert_eq!(key.as_str(), s);
            assert_eq!(key.to_string(), s);
        }
    }

    #[test]
    fn refuses_empty_and_empty_segments() {
        assert_eq!(Key::parse(""), Err(BadKey::Empty));
        for s in ["/", "/abs/path", "a//b", "a/", "trailing/slash/", "//"] {
            assert_eq!(Key::parse(s), Err(BadKey::EmptySegment), "{s:?}");
        }
    }

    #[test]
    fn refuses_dot_segments_and_hidden_names() {
        for s in [
            ".",
            "..",
            "../etc/passwd",
            "a/../b",
            "a/./b",
            "a/..",
            ".hidden",
            "a/.env",
        ] {
            assert_eq!(Key::parse(s), Err(BadKey::DotSegment), "{s:?}");
        }
    }

    #[test]
    fn refuses_characters_outside_the_alphabet() {
        let cases = [
            ("a\\b", '\\'),
            ("C:\\x", ':'),
            ("a\0b", '\0'),
            ("a%2e%2e/b", '%'),
            ("a%2Fb", '%'),
            ("a b", ' '),
            ("a?b", '?'),
            ("a#b", '#'),
            ("a+b", '+'),
            ("é.jpg", 'é'),
            ("a\nb", '\n'),
            ("~/x", '~'),
        ];
        for (s, c) in cases {
            assert_eq!(Key::parse(s), Err(BadKey::BadChar(c)), "{s:?}");
        }
    }

    #[test]
    fn length_limit_is_in_bytes() {
        let longest = "a".repeat(MAX_KEY_LEN);
        assert!(Key::parse(&longest).is_ok());
        let too_long = "a".repeat(MAX_KEY_LEN + 1);
        assert_eq!(Key::parse(&too_long), Err(BadKey::TooLong(MAX_KEY_LEN + 1)));
        // Multi-byte text is measured in bytes, and refused for its characters anyway.
        assert_eq!(Key::parse(&"é".repeat(300)), Err(BadKey::TooLong(600)));
    }

    #[test]
    fn extension_is_lower_cased_and_taken_from_the_last_segment() {
        let ext = |s: &str| Key::parse(s).ok().and_then(|k| k.extension());
        assert_eq!(ext("images/x/original.JPG").as_deref(), Some("jpg"));
        assert_eq!(ext("a.b/c"), None);
        assert_eq!(ext("archive.tar.gz").as_deref(), Some("gz"));
        assert_eq!(ext("noext"), None);
    }

    #[test]
    fn errors_name_the_problem_without_echoing_the_key() {
        let Err(err) = Key::parse("../secret") else {
            panic!("a dot segment should be refused");
        };
        let message = err.to_string();
        assert!(message.contains("'.'"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
}
