//! Random tokens and their digests.

use sha2::{Digest, Sha256};

/// 32 random bytes from the operating system, hex-encoded (64 characters, URL- and cookie-safe).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something a request can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    hex::encode(bytes)
}

/// SHA-256 hex digest; what the database keeps of a password-reset token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `path` as logs may show it: a segment that looks like a token (32 or more hex digits: reset,
/// confirmation and unsubscribe links carry theirs in the path) becomes `[token]`, so no log
/// line hands out a working link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let is_token = |segment: &str| segment.len() >= 32 && segment.bytes().all(|b| b.is_ascii_hexdigit());
    if !path.split('/').any(is_token) {
        return std::borrow::Cow::Borrowed(path);
    }
    let parts: Vec<&str> = path
        .split('/')
        .map(|segment| if is_token(segment) { "[token]" } else { segment })
        .collect();
    std::borrow::Cow::Owned(parts.join("/"))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_paths_carry_no_tokens() {
        let token = random_token();
        assert_eq!(
            loggable_path(&format!("/forgot-password/{token}/")),
            "/forgot-password/[token]/"
        );
        assert_eq!(
            loggable_path(&format!("/site/unsubscribe/{token}/")),
            "/site/unsubscribe/[token]/"
        );
        assert_eq!(loggable_path("/notes/12/edit/"), "/notes/12/edit/");
        assert_eq!(loggable_path("/site/items/cafe/"), "/site/items/cafe/");
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn digest_is_stable_and_differs_from_input() {
        assert_eq!(digest("abc"), digest("abc"));
        assert_ne!(digest("abc"), "abc");
        assert_eq!(digest("abc").len(), 64);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
