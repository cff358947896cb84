//! Look-alike email addresses. `pаypal@example.org` with a Cyrillic `а`, `rnary@…` beside
//! `mary@…`, `0scar@…` beside `oscar@…`: different addresses that read the same. Each user row
//! keeps a key of its address's Unicode "skeleton" (UTS #39: every character replaced by the one
//! it is confusable with), and a new account whose key matches another address's is refused.
//!
//! The key is a SHA-256 of the skeleton, so the column is short and indexable on every backend
//! (a skeleton can be longer than the address it came from).

use sha2::{Digest, Sha256};
use unicode_security::confusable_detection::skeleton;

/// The key of `email` (already lower-cased and NFKC-normalised): equal for addresses a reader
/// can't tell apart. Lower-cased again after the skeleton, which maps to either case (`0` to `O`).
pub fn lookalike_key(email: &str) -> String {
    let skeleton: String = skeleton(email).collect::<String>().to_lowercase();
    hex::encode(Sha256::digest(skeleton.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::lookalike_key;

    #[test]
    fn addresses_that_read_the_same_share_a_key() {
        let pairs = [
            ("paypal@example.org", "p\u{430}ypal@example.org"),
            ("mary@example.org", "rnary@example.org"),
            ("oscar@example.org", "0scar@example.org"),
            ("bill@example.org", "bi1l@example.org"),
            ("ada@example.org", "ada@ex\u{430}mple.org"),
        ];
        for (one, other) in pairs {
            assert_ne!(one, other);
            assert_eq!(lookalike_key(one), lookalike_key(other), "{one} / {other}");
        }
    }

    #[test]
    fn addresses_that_read_differently_do_not() {
        let pairs = [
            ("ada@example.org", "eda@example.org"),
            ("ada@example.org", "ada@example.com"),
            ("ada@example.org", "ada.b@example.org"),
        ];
        for (one, other) in pairs {
            assert_ne!(lookalike_key(one), lookalike_key(other), "{one} / {other}");
        }
    }
}
