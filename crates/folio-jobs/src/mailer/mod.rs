//! Sends email through the transport `FOLIO_EMAIL_URL` names:
//! - `file://DIR`: each message is written to `DIR/<id>.eml` (the embedded default, so a
//!   developer can open the mail a flow sent without any mail server);
//! - `smtp://[user:pass@]host[:port]` (plain, or STARTTLS with `?tls=required`) and
//!   `smtps://user:pass@host:465` (implicit TLS);
//! - `ses://REGION[?configuration_set=NAME]`: the SES v2 API with the AWS credential chain
//!   (the ECS task role in production), in builds with the `aws` feature.
//!
//! [`MailTarget::parse`] checks a URL with no side effects; [`Mailer::connect`] builds the
//! transport (SMTP pool, SES client) and must run inside the Tokio runtime.

#[cfg(feature = "aws")]
mod ses;
mod settings;

use std::path::PathBuf;

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use settings::parse_mailbox;
pub use settings::{MailTarget, SesSettings};

/// A message ready to send: every Folio mail has a plain-text and an HTML part.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An unsubscribe URL: adds `List-Unsubscribe` and the RFC 8058 one-click
    /// `List-Unsubscribe-Post` header, so mail clients show their own unsubscribe button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
    /// Where replies go when that is not the sender (the visitor of a contact message). An
    /// address that does not parse is left out rather than failing the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("unsupported email URL scheme {0:?}: use file://, smtp://, smtps:// or ses://")]
    UnsupportedScheme(String),
    #[error("invalid email URL: {0}")]
    InvalidUrl(String),
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("could not write the message file: {0}")]
    File(#[from] lettre::transport::file::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("could not create the mail directory {path}: {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("ses:// needs a binary built with `--features aws`")]
    AwsNotBuiltIn,
    /// The SES API refused or failed; `transient` when trying again later may succeed.
    #[error("SES: {message}")]
    Ses { message: String, transient: bool },
}

/// Idle SMTP connections kept for reuse. lettre opens more when more sends are in flight, but
/// closes any beyond this once they finish: sized for the default 4 worker loops each sending
/// `SENDS_IN_FLIGHT` (8) messages at once, so a busy worker does not reconnect for every mail.
const SMTP_POOL_SIZE: u32 = 32;

#[derive(Clone)]
enum Transport {
    File {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    #[cfg(feature = "aws")]
    Ses(ses::SesTransport),
}

/// Whether the mailer could send to `address` at all (lettre's own parse): the sign-up and
/// subscription forms refuse the others (`a<b>@example.org`, `a,b@example.org`), so no account
/// or subscriber is made that no email can reach.
pub fn deliverable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

/// The configured way out for email, with the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    // The SMTP URL can carry a password, so only the kind of transport is ever printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::File { dir, .. } => format!("file:{}", dir.display()),
            Transport::Smtp(_) => "smtp".to_owned(),
            #[cfg(feature = "aws")]
            Transport::Ses(ses) => format!("{ses:?}"),
        };
        f.debug_struct("Mailer")
            .field("transport", &kind)
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// The plain-text part, sent as 7bit when it is plain ASCII with lines of at most 998
/// characters (what RFC 5322 allows). lettre would pick quoted-printable for any line over 76,
/// which folds it, so a link in a `.eml` under `data/mail/` could not be copied in one piece.
fn text_part(text: &str) -> SinglePart {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let seven_bit = crlf.is_ascii()
        && crlf
            .split("\r\n")
            .all(|line| line.len() <= 998 && !line.contains(['\r', '\0']));
    if !seven_bit {
        return SinglePart::plain(text.to_owned());
    }
    let body = Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit);
    SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::SevenBit)
        .body(body)
}

impl Mailer {
    /// Builds the transport for `url`, sending as `from`: creates a `file://` directory if
    /// needed, starts the SMTP connection pool, or loads the AWS configuration for SES. Call it
    /// once per process, inside the runtime.
    pub async fn connect(url: &str, from: &str) -> Result<Self, MailError> {
        let target = MailTarget::parse(url, from)?;
        let from = parse_mailbox(from)?;
        let transport = match target {
            MailTarget::File { dir } => {
                std::fs::create_dir_all(&dir).map_err(|source| MailError::Directory {
                    path: dir.display().to_string(),
                    source,
                })?;
                Transport::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                }
            }
            MailTarget::Smtp { url } => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?
                    .pool_config(PoolConfig::new().max_size(SMTP_POOL_SIZE))
                    .build(),
            ),
            MailTarget::Ses(settings) => ses_transport(settings, None).await?,
        };
        Ok(Self { transport, from })
    }

    /// [`Mailer::connect`] for `ses://` with these AWS keys instead of the credential chain:
    /// for tests, which run in parallel and so can't each set process-wide `AWS_*` variables.
    #[cfg(feature = "aws")]
    pub async fn connect_ses_with_keys(
        url: &str,
        from: &str,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Self, MailError> {
        let MailTarget::Ses(settings) = MailTarget::parse(url, from)? else {
            return Err(MailError::InvalidUrl("not an ses:// URL".into()));
        };
        Ok(Self {
            transport: ses_transport(settings, Some((access_key, secret_key))).await?,
            from: parse_mailbox(from)?,
        })
    }

    /// Sends one message, counted as `sent` or `failed` in the metrics. For the file
    /// transport, logs where it was written.
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let sent = self.deliver(email).await;
        crate::metrics::record_email(if sent.is_ok() { "sent" } else { "failed" });
        sent
    }

    async fn deliver(&self, email: &Email) -> Result<(), MailError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(parse_mailbox(&email.to)?)
            .subject(&email.subject)
            .message_id(Some(self.message_id()));
        if let Some(reply_to) = email.reply_to.as_deref().and_then(|a| parse_mailbox(a).ok()) {
            builder = builder.reply_to(reply_to);
        }
        if let Some(url) = &email.list_unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder.multipart(
            MultiPart::alternative()
                .singlepart(text_part(&email.text))
                .singlepart(SinglePart::html(email.html.clone())),
        )?;
        match &self.transport {
            #[cfg(feature = "aws")]
            Transport::Ses(ses) => {
                let id = ses.send(&email.to, &message).await?;
                tracing::info!(subject = %email.subject, ses_message_id = %id, "email sent through SES");
            }
            Transport::File { dir, transport } => {
                let id = transport.send(message).await?;
                tracing::info!(path = %dir.join(format!("{id}.eml")).display(), subject = %email.subject, "email written");
            }
            Transport::Smtp(transport) => {
                transport.send(message).await?;
                tracing::info!(subject = %email.subject, "email sent over SMTP");
            }
        }
        Ok(())
    }

    /// `<random@sending domain>`: relays penalise mail without one, and one on our own domain
    /// ties replies and bounces to this message. (lettre's default would use the host name.)
    fn message_id(&self) -> String {
        format!("<{}@{}>", uuid::Uuid::new_v4().simple(), self.from.email.domain())
    }

    /// True when the mail server answered with a temporary (4xx) refusal: the message was
    /// certainly not accepted and may be tried again later.
    pub fn refused_temporarily(err: &MailError) -> bool {
        match err {
            MailError::Smtp(smtp) => smtp.is_transient(),
            MailError::Ses { transient, .. } => *transient,
            _ => false,
        }
    }

    /// Checks that mail can go out: the directory is writable, the SMTP server answers, or
    /// SES answers with this account's sending status.
    pub async fn check(&self) -> Result<(), MailError> {
        match &self.transport {
            Transport::File { dir, .. } => {
                let probe = dir.join(".folio-check");
                std::fs::write(&probe, b"")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map_err(|source| MailError::Directory {
                        path: dir.display().to_string(),
                        source,
                    })
            }
            Transport::Smtp(transport) => {
                transport.test_connection().await?;
                Ok(())
            }
            #[cfg(feature = "aws")]
            Transport::Ses(ses) => ses.check(self.from.email.domain()).await,
        }
    }
}

#[cfg(feature = "aws")]
async fn ses_transport(settings: SesSettings, keys: Option<(&str, &str)>) -> Result<Transport, MailError> {
    Ok(Transport::Ses(ses::SesTransport::connect(settings, keys).await))
}

#[cfg(not(feature = "aws"))]
async fn ses_transport(_settings: SesSettings, _keys: Option<(&str, &str)>) -> Result<Transport, MailError> {
    Err(MailError::AwsNotBuiltIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rejects_unknown_schemes_and_bad_senders() {
        assert!(matches!(
            Mailer::connect("http://x", "a@b.c").await,
            Err(MailError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Mailer::connect("nonsense", "a@b.c").await,
            Err(MailError::InvalidUrl(_))
        ));
        assert!(matches!(
            Mailer::connect("file://x", "not an address").await,
            Err(MailError::InvalidAddress { .. })
        ));
    }

    #[tokio::test]
    async fn file_transport_writes_a_multipart_eml() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let url = format!("file://{}", dir.path().display());
        let mailer = Mailer::connect(&url, "Folio <folio@example.org>").await?;
        mailer.check().await?;
        let link = format!("https://folio.example.org/forgot-password/{}/", "a".repeat(64));
        let email = Email {
            to: "reader@example.org".into(),
            subject: "Hello".into(),
            text: format!("plain body\n\n{link}\n"),
            html: "<p>html body</p>".into(),
            list_unsubscribe: Some("https://folio.example.org/site/unsubscribe/t/".into()),
            reply_to: None,
        };
        mailer.send(&email).await?;
        let files: Vec<_> = std::fs::read_dir(dir.path())?.collect::<Result<_, _>>()?;
        assert_eq!(files.len(), 1);
        let raw = std::fs::read_to_string(files[0].path())?;
        assert!(raw.contains("Subject: Hello"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("List-Unsubscribe: <https://folio.example.org/site/unsubscribe/t/>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("plain body") && raw.contains("<p>html body</p>"));
        // The link stands on one line, unfolded, so it can be copied out of the file.
        assert!(raw.lines().any(|line| line == link), "{raw}");
        Ok(())
    }

    /// The header block of a written message, with the values that change per message
    /// (Message-ID, Date, the MIME boundary) checked and replaced by placeholders.
    fn stable_headers(raw: &str) -> String {
        let head = raw.split("\r\n\r\n").next().unwrap_or_default();
        let mut lines = Vec::new();
        for line in head.split("\r\n") {
            if let Some(id) = line.strip_prefix("Message-ID: ") {
                let (local, domain) = id.trim_matches(['<', '>']).split_once('@').unwrap();
                assert!(
                    local.len() == 32 && local.chars().all(|c| c.is_ascii_hexdigit()),
                    "{id}"
                );
                lines.push(format!("Message-ID: <[32 hex digits]@{domain}>"));
            } else if let Some(date) = line.strip_prefix("Date: ") {
                assert!(chrono::DateTime::parse_from_rfc2822(date).is_ok(), "{date}");
                lines.push("Date: [RFC 2822 date]".to_owned());
            } else if line.trim_start().starts_with("boundary=") {
                lines.push(" boundary=\"[boundary]\"".to_owned());
            } else {
                lines.push(line.to_owned());
            }
        }
        lines.join("\n")
    }

    async fn sent_headers(email: &Email) -> String {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let mailer = Mailer::connect(&url, "Folio <folio@example.org>").await.unwrap();
        mailer.send(email).await.unwrap();
        let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap();
        stable_headers(&std::fs::read_to_string(file.path()).unwrap())
    }

    #[tokio::test]
    async fn headers_of_a_notification() {
        let email = Email {
            to: "reader@example.net".into(),
            subject: "New on Folio: Straße".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            list_unsubscribe: Some("https://folio.example.org/site/unsubscribe/t/".into()),
            reply_to: None,
        };
        insta::assert_snapshot!(sent_headers(&email).await);
    }

    #[tokio::test]
    async fn headers_of_a_contact_message_reply_to_the_visitor() {
        let email = Email {
            to: "staff@example.org".into(),
            subject: "Contact form: Hello".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            list_unsubscribe: None,
            reply_to: Some("visitor@example.net".into()),
        };
        insta::assert_snapshot!(sent_headers(&email).await);
        // An address that does not parse is left out, not a failed message.
        let bad = Email {
            reply_to: Some("not an address\r\nBcc: x@evil.example".into()),
            ..email
        };
        let headers = sent_headers(&bad).await;
        assert!(
            !headers.contains("Reply-To") && !headers.contains("evil"),
            "{headers}"
        );
    }
}
