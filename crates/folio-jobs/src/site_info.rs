//! The site's name and description (`FOLIO_SITE_NAME`, `FOLIO_SITE_DESCRIPTION`): shown by the
//! public pages and the feed (folio-web) and in the emails the worker sends, so both read the
//! same checked values from here.

/// `FOLIO_SITE_NAME` when unset.
pub const DEFAULT_NAME: &str = "Folio";
/// `FOLIO_SITE_DESCRIPTION` when unset.
pub const DEFAULT_DESCRIPTION: &str = "Notes and articles, with new items sent by email.";
/// The longest name, in characters: it goes into every page title and email subject.
pub const MAX_NAME: usize = 100;
/// The longest description, in characters: a sentence or two for the home page and meta tags.
pub const MAX_DESCRIPTION: usize = 300;

/// The site's name and one-line description, checked: not blank, not too long, no control
/// characters (a newline in a name would end up in email subjects).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteInfo {
    pub name: String,
    pub description: String,
}

impl Default for SiteInfo {
    fn default() -> Self {
        Self {
            name: DEFAULT_NAME.to_owned(),
            description: DEFAULT_DESCRIPTION.to_owned(),
        }
    }
}

impl SiteInfo {
    /// Both values trimmed and checked; the error names the variable at fault.
    pub fn parse(name: &str, description: &str) -> Result<Self, String> {
        Ok(Self {
            name: text("FOLIO_SITE_NAME", name, MAX_NAME)?,
            description: text("FOLIO_SITE_DESCRIPTION", description, MAX_DESCRIPTION)?,
        })
    }

    /// The letter of the header's brand mark.
    pub fn initial(&self) -> String {
        self.name
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }
}

fn text(variable: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    let why = if value.is_empty() {
        "must not be empty".to_owned()
    } else if value.chars().count() > max {
        format!("must be at most {max} characters")
    } else if value.chars().any(char::is_control) {
        "must not contain control characters (line breaks, tabs, …)".to_owned()
    } else {
        return Ok(value.to_owned());
    };
    Err(format!("{variable}: invalid value {value:?}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_text_and_refuses_the_rest() {
        let site = SiteInfo::parse("  Harbour Notes ", "Tides & boats.").unwrap();
        assert_eq!(site.name, "Harbour Notes");
        assert_eq!(site.description, "Tides & boats.");
        assert_eq!(site.initial(), "H");
        assert!(SiteInfo::parse(&"é".repeat(100), &"d".repeat(300)).is_ok());
        for (name, description, variable) in [
            ("", "d", "FOLIO_SITE_NAME"),
            ("   ", "d", "FOLIO_SITE_NAME"),
            (&"n".repeat(101), "d", "FOLIO_SITE_NAME"),
            ("a\nb", "d", "FOLIO_SITE_NAME"),
            ("n", "", "FOLIO_SITE_DESCRIPTION"),
            ("n", &"d".repeat(301), "FOLIO_SITE_DESCRIPTION"),
            ("n", "tab\there", "FOLIO_SITE_DESCRIPTION"),
            ("n", "bell\u{7}", "FOLIO_SITE_DESCRIPTION"),
        ] {
            let err = SiteInfo::parse(name, description).unwrap_err();
            assert!(err.starts_with(variable), "{err}");
        }
    }
}
