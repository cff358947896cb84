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

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn lines_are_bounded_and_single() {
        assert_eq!(line("  Hello ", 200).as_deref(), Ok("Hello"));
        assert!(line("   ", 200).is_err());
        assert!(line(&"x".repeat(201), 200).is_err());
        assert!(line(&"é".repeat(200), 200).is_ok());
        assert!(line("a\nb", 200).is_err());
    }
}
