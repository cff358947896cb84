//! `FOLIO_EMAIL_URL`, read without side effects: parsing creates no directory, task, pool or
//! connection, so the configuration can be checked before the async runtime exists (building
//! lettre's SMTP pool outside a runtime panics).

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use super::MailError;

/// Where mail goes, checked but not yet connected.
#[derive(Clone, PartialEq, Eq)]
pub enum MailTarget {
    /// `file://DIR`: one `.eml` per message.
    File { dir: PathBuf },
    /// `smtp://…` or `smtps://…`; the URL may carry a password, so it is never printed.
    Smtp { url: String },
    /// `ses://REGION[?configuration_set=NAME][&endpoint=URL]`: the SES v2 API.
    Ses(SesSettings),
}

impl std::fmt::Debug for MailTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File { dir } => write!(f, "file:{}", dir.display()),
            Self::Smtp { .. } => f.write_str("smtp"),
            Self::Ses(ses) => write!(f, "{ses:?}"),
        }
    }
}

/// The SES v2 API in one region. Credentials come from the standard AWS chain (environment,
/// ECS task role, web identity, instance profile), never from the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SesSettings {
    pub region: String,
    /// The configuration set every message is sent with, so SES publishes bounces and
    /// complaints for it.
    pub configuration_set: Option<String>,
    /// Another endpoint than AWS's (an emulator in tests).
    pub endpoint: Option<String>,
}

impl MailTarget {
    /// Checks `url` and the sender `from` without touching the network or the file system.
    pub fn parse(url: &str, from: &str) -> Result<Self, MailError> {
        parse_mailbox(from)?;
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| MailError::InvalidUrl("missing scheme".into()))?;
        match scheme {
            "file" if rest.is_empty() => Err(MailError::InvalidUrl("file:// needs a directory".into())),
            "file" => Ok(Self::File {
                dir: PathBuf::from(rest),
            }),
            "smtp" | "smtps" => {
                // Only the builder: `.build()` would start the connection pool.
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| MailError::InvalidUrl(format!("{scheme}://: {}", smtp_url_error(&err))))?;
                Ok(Self::Smtp { url: url.to_owned() })
            }
            "ses" => {
                let settings = parse_ses(rest)?;
                if cfg!(not(feature = "aws")) {
                    return Err(MailError::AwsNotBuiltIn);
                }
                Ok(Self::Ses(settings))
            }
            other => Err(MailError::UnsupportedScheme(other.to_owned())),
        }
    }
}

/// lettre reports a bad URL as a "connection error"; only its cause says what is wrong.
fn smtp_url_error(err: &lettre::transport::smtp::Error) -> String {
    std::error::Error::source(err).map_or_else(|| err.to_string(), ToString::to_string)
}

pub(crate) fn parse_mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|err: lettre::address::AddressError| MailError::InvalidAddress {
            address: address.to_owned(),
            reason: err.to_string(),
        })
}

fn parse_ses(rest: &str) -> Result<SesSettings, MailError> {
    let invalid = |why: &str| MailError::InvalidUrl(format!("ses://: {why}"));
    let (region, query) = rest.split_once('?').unwrap_or((rest, ""));
    let region = region.trim_end_matches('/');
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !region_ok {
        return Err(invalid("name a region, as in ses://eu-central-1"));
    }
    let mut settings = SesSettings {
        region: region.to_owned(),
        configuration_set: None,
        endpoint: None,
    };
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "configuration_set" => &mut settings.configuration_set,
            "endpoint" => &mut settings.endpoint,
            other => {
                return Err(invalid(&format!(
                    "unknown parameter {other:?} (use configuration_set or endpoint)"
                )));
            }
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(invalid(&format!("{name} given twice")));
        }
    }
    if let Some(name) = &settings.configuration_set
        && !is_configuration_set_name(name)
    {
        return Err(invalid("configuration_set: 1 to 64 letters, digits, '-' or '_'"));
    }
    if let Some(endpoint) = &settings.endpoint
        && !is_endpoint(endpoint)
    {
        return Err(invalid("endpoint: an http(s)://host[:port] URL"));
    }
    Ok(settings)
}

fn is_configuration_set_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_endpoint(endpoint: &str) -> bool {
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.trim_end_matches('/');
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Folio <folio@example.org>";

    #[test]
    #[cfg(not(feature = "aws"))]
    fn ses_needs_the_aws_feature() {
        assert!(matches!(
            MailTarget::parse("ses://eu-central-1", FROM),
            Err(MailError::AwsNotBuiltIn)
        ));
    }

    #[test]
    #[cfg(feature = "aws")]
    fn parses_ses_urls() {
        assert_eq!(
            MailTarget::parse(
                "ses://eu-central-1?configuration_set=folio-prod&endpoint=http://127.0.0.1:5000",
                FROM
            )
            .unwrap(),
            MailTarget::Ses(SesSettings {
                region: "eu-central-1".into(),
                configuration_set: Some("folio-prod".into()),
                endpoint: Some("http://127.0.0.1:5000".into()),
            })
        );
        assert!(matches!(
            MailTarget::parse("ses://us-east-1", FROM),
            Ok(MailTarget::Ses(SesSettings {
                configuration_set: None,
                endpoint: None,
                ..
            }))
        ));
        for url in [
            "ses://",
            "ses://EU_CENTRAL",
            "ses://eu-central-1?configuration_set=",
            "ses://eu-central-1?configuration_set=a b",
            "ses://eu-central-1?endpoint=ftp://x",
            "ses://eu-central-1?endpoint=http://",
            "ses://eu-central-1?bucket=x",
            "ses://eu-central-1?configuration_set=a&configuration_set=b",
        ] {
            assert!(MailTarget::parse(url, FROM).is_err(), "{url}");
        }
    }

    #[test]
    fn parses_each_scheme_without_side_effects() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-created");
        let url = format!("file://{}", missing.display());
        assert_eq!(
            MailTarget::parse(&url, FROM).unwrap(),
            MailTarget::File { dir: missing.clone() }
        );
        assert!(!missing.exists(), "parsing must not create the directory");
        // No runtime here: building the SMTP pool would panic, parsing must not.
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.org:587?tls=required",
            "smtps://user:secret@email-smtp.eu-central-1.amazonaws.com:465",
        ] {
            assert!(
                matches!(MailTarget::parse(url, FROM), Ok(MailTarget::Smtp { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn refuses_bad_urls_and_senders() {
        for url in [
            "nonsense",
            "http://x",
            "file://",
            "smtp://",
            "smtp://host:notaport",
        ] {
            assert!(MailTarget::parse(url, FROM).is_err(), "{url}");
        }
        let err = MailTarget::parse("smtp://mail.example.org:notaport", FROM).unwrap_err();
        assert!(matches!(err, MailError::InvalidUrl(_)), "{err}");
        assert!(!err.to_string().contains("delivery"), "{err}");
        assert!(matches!(
            MailTarget::parse("file://x", "not an address"),
            Err(MailError::InvalidAddress { .. })
        ));
    }

    #[test]
    fn debug_output_hides_smtp_passwords() {
        let target = MailTarget::parse("smtps://user:hunter2@mail:465", FROM).unwrap();
        assert!(!format!("{target:?}").contains("hunter2"));
    }
}
