//! Reading the emails the file transport wrote.

use std::path::Path;

/// One `.eml` file, decoded enough for assertions.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The raw message with quoted-printable soft breaks and escapes decoded.
    pub decoded: String,
    pub to: String,
    pub subject: String,
}

impl Mail {
    pub fn parse(raw: &str) -> Self {
        let header = |name: &str| {
            raw.lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|value| value.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            to: header("To:"),
            subject: header("Subject:"),
            decoded: quoted_printable_decode(raw),
        }
    }

    /// The first link in the message that contains `fragment`.
    pub fn link_containing(&self, fragment: &str) -> Option<String> {
        self.decoded
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            .find(|word| word.starts_with("http") && word.contains(fragment))
            .map(str::to_owned)
    }
}

/// Decodes quoted-printable (`=\r\n` soft breaks, `=XX` escapes); other text passes through.
pub fn quoted_printable_decode(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(value) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn read_dir(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "eml"));
    files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|raw| Mail::parse(&raw))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_soft_breaks_and_escapes() {
        assert_eq!(quoted_printable_decode("abc=\r\ndef =3D x"), "abcdef = x");
    }

    #[test]
    fn finds_links() {
        let mail = Mail::parse("To: a@b.c\r\nSubject: Hi\r\n\r\nopen http://h/forgot-password/abc/ now");
        assert_eq!(mail.subject, "Hi");
        assert_eq!(
            mail.link_containing("/forgot-password/").as_deref(),
            Some("http://h/forgot-password/abc/")
        );
    }
}
