//! Content rules shared by the admin panel (which writes content) and the public site (which
//! shows it): the Markdown renderer and slugs.

pub mod markdown;
pub mod slug;

use crate::forms::REQUIRED;

/// A one-line text (a name, title or summary): trimmed, 1 to `max_chars` characters, no
/// control characters.
pub fn line(raw: &str, max_chars: usize) -> Result<String, String> {
    let text = raw.trim();
    let count = text.chars().count();
    if count == 0 {
        Err(REQUIRED.into())
    } else if count > max_chars {
        Err(format!(
            "Ensure this value has at most {max_chars} characters (it has {count})."
        ))
    } else if text.chars().any(char::is_control) {
        Err("This value can't contain control characters or line breaks.".into())
    } else {
        Ok(text.to_owned())
    }
}

/// [`line`] for a field that may be left empty (which gives an empty string).
pub fn optional_line(raw: &str, max_chars: usize) -> Result<String, String> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        line(raw, max_chars)
    }
}

/// A block of text that may be empty (a summary, a Markdown body): at most `max_chars`
/// characters and no control characters but tab and line breaks. PostgreSQL text can't hold
/// NUL, so without this a NUL would be a 500 there and stored elsewhere.
pub fn text_block(raw: &str, max_chars: usize) -> Result<(), String> {
    let count = raw.chars().count();
    if count > max_chars {
        return Err(format!(
            "Ensure this value has at most {max_chars} characters (it has {count})."
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err("This value can't contain control characters (other than tabs and line breaks).".into());
    }
    Ok(())
}

/// The longest image description (alt text) accepted; the column holds 300.
pub const IMAGE_ALT_MAX_CHARS: usize = 300;

#[cfg(test)]
mod tests {
    use super::{line, optional_line};

    #[test]
    fn lines_are_bounded_and_single() {
        assert_eq!(line("  Hello ", 200).as_deref(), Ok("Hello"));
        assert!(line("   ", 200).is_err());
        assert!(line(&"x".repeat(201), 200).is_err());
        assert!(line(&"é".repeat(200), 200).is_ok());
        assert!(line("a\nb", 200).is_err());
    }

    #[test]
    fn text_blocks_refuse_nul_and_control_characters() {
        assert!(super::text_block("Two\r\nlines\tand a tab", 100).is_ok());
        assert!(super::text_block("", 100).is_ok());
        assert!(super::text_block("nul\0", 100).is_err());
        assert!(super::text_block("bell\u{7}", 100).is_err());
        assert!(super::text_block(&"x".repeat(101), 100).is_err());
    }

    #[test]
    fn optional_lines_may_be_empty() {
        assert_eq!(optional_line("  ", 10).as_deref(), Ok(""));
        assert_eq!(optional_line(" A cat ", 10).as_deref(), Ok("A cat"));
        assert!(optional_line(&"x".repeat(11), 10).is_err());
        assert!(optional_line("a\tb", 10).is_err());
    }
}
