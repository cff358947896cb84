//! Input parsed at the edge into types that can't be invalid. Each parser returns the message
//! the form shows next to the field.

use unicode_normalization::UnicodeNormalization;

/// The message of an empty required field.
pub const REQUIRED: &str = "This field is required.";

/// A normalised (trimmed, NFKC, lower-cased) email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

pub const INVALID_EMAIL: &str = "Enter a valid email address.";

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // Normalised first, so the limits apply to what is stored: some capitals lower to
        // two characters ('İ' to "i̇"), and the column holds 254. NFKC makes the full-width
        // `ａｄａ＠ｅｘａｍｐｌｅ．ｏｒｇ` and other compatibility spellings the plain address;
        // it runs again after lower-casing, which can undo it.
        let email: String = raw
            .trim()
            .nfkc()
            .collect::<String>()
            .to_lowercase()
            .nfkc()
            .collect();
        if email.is_empty() {
            return Err(REQUIRED.into());
        }
        let valid = email.chars().count() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                        && domain
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                }
                None => false,
            };
        if valid && folio_jobs::mailer::deliverable(&email) {
            Ok(Self(email))
        } else {
            Err(INVALID_EMAIL.into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A pad or note name: 1 to 100 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 {
            Err(REQUIRED.into())
        } else if count > Self::MAX_CHARS {
            Err(format!(
                "Ensure this value has at most {} characters (it has {count}).",
                Self::MAX_CHARS
            ))
        } else if name.chars().any(char::is_control) {
            Err("Names can't contain control characters.".into())
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A note's text: required, at most [`NoteText::MAX_CHARS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteText(String);

impl NoteText {
    /// Large enough for any note a person writes (256 Ki characters), small enough that one
    /// request can't fill the database.
    pub const MAX_CHARS: usize = 262_144;

    pub fn parse(raw: &str) -> Result<Self, String> {
        // Browsers send textarea line breaks as CRLF; keep them as typed otherwise.
        if raw.trim().is_empty() {
            return Err(REQUIRED.into());
        }
        // PostgreSQL text can't hold NUL, and no one types it: refused here for every database.
        if raw.contains('\0') {
            return Err("Notes can't contain the NUL character.".into());
        }
        let count = raw.chars().count();
        if count > Self::MAX_CHARS {
            return Err(format!(
                "Ensure this note has at most {} characters (it has {count}).",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 1024 characters. The upper bound keeps argon2's input reasonable.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let count = raw.chars().count();
        if count == 0 {
            Err(REQUIRED.into())
        } else if count < Self::MIN_CHARS {
            Err(format!(
                "This password is too short. It must contain at least {} characters.",
                Self::MIN_CHARS
            ))
        } else if count > Self::MAX_CHARS {
            Err(format!(
                "This password is too long. It must contain at most {} characters.",
                Self::MAX_CHARS
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password typed to prove identity (sign-in, old password): required and bounded only.
pub fn entered_password(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        Err(REQUIRED.into())
    } else if raw.chars().count() > NewPassword::MAX_CHARS {
        Err("Wrong email or password".into())
    } else {
        Ok(raw.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_spellings_become_the_plain_address() {
        let full_width =
            "\u{ff21}\u{ff24}\u{ff21}\u{ff20}\u{ff45}\u{ff58}\u{ff41}\u{ff4d}\u{ff50}\u{ff4c}\u{ff45}.org";
        assert_eq!(Email::parse(full_width).unwrap().as_str(), "ada@example.org");
        // U+210C (black-letter H) is "H" under NFKC, which lower-casing then turns into "h".
        assert_eq!(
            Email::parse("\u{210c}al@example.org").unwrap().as_str(),
            "hal@example.org"
        );
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ann@Example.ORG ").unwrap().as_str(),
            "ann@example.org"
        );
    }

    #[test]
    fn bad_emails_are_refused_with_the_notejam_message() {
        assert_eq!(Email::parse("").unwrap_err(), REQUIRED);
        for bad in [
            "plain",
            "a@b",
            "@example.org",
            "a@@example.org",
            "a b@example.org",
            "a@exa mple.org",
            "a@.org",
            "a@example..org",
            "a@example.org.",
            // Addresses no email can be sent to (lettre refuses them), once accepted.
            "a<b>@example.org",
            "a,b@example.org",
            "a;b@example.org",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err(), INVALID_EMAIL, "{bad}");
        }
        for good in ["a.b+tag@example.org", "o'neil@example.org", "é@exämple.org"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err(), INVALID_EMAIL);
    }

    #[test]
    fn names_are_bounded() {
        assert_eq!(Name::parse("  Work ").unwrap().as_str(), "Work");
        assert_eq!(Name::parse("   ").unwrap_err(), REQUIRED);
        assert!(Name::parse(&"é".repeat(100)).is_ok());
        assert!(Name::parse(&"é".repeat(101)).unwrap_err().contains("at most 100"));
        assert!(Name::parse("a\u{0}b").is_err());
    }

    #[test]
    fn note_text_is_required_and_bounded() {
        assert_eq!(NoteText::parse(" \n ").unwrap_err(), REQUIRED);
        assert_eq!(NoteText::parse("  keep  ").unwrap().as_str(), "  keep  ");
        assert!(NoteText::parse(&"x".repeat(NoteText::MAX_CHARS)).is_ok());
        assert!(NoteText::parse(&"x".repeat(NoteText::MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn new_passwords_have_a_minimum_and_maximum_length() {
        assert_eq!(NewPassword::parse("").unwrap_err(), REQUIRED);
        assert!(NewPassword::parse("short").unwrap_err().contains("too short"));
        assert!(NewPassword::parse("long enough").is_ok());
        assert!(
            NewPassword::parse(&"x".repeat(1025))
                .unwrap_err()
                .contains("too long")
        );
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret-pass").unwrap()),
            "NewPassword(<redacted>)"
        );
    }
}
