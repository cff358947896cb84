//! Verifies Amazon SNS HTTP(S) deliveries (SES bounce and complaint notifications reach us this
//! way), following AWS's documented procedure: rebuild the string SNS signed, fetch the signing
//! certificate from the SNS endpoint, and check the RSA signature with its public key.
//!
//! Anyone can POST to our hook, and anyone can subscribe our URL to an SNS topic in their own
//! AWS account, whose messages AWS signs just as well. So a message counts only if its TopicArn
//! is one we configured *and* its signature verifies with a certificate served by the one SNS
//! host we trust, over HTTPS.
//!
//! Limits: the certificate is trusted because of where it comes from (TLS to the pinned SNS
//! host), not because of a chain to an Amazon root; that is AWS's documented procedure. The
//! replay window (below) bounds how long a captured message can be replayed, but a replay inside
//! it verifies: callers that act on a message should be idempotent (e.g. by `message_id`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Url;
use reqwest::redirect::Policy;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
    VerificationAlgorithm,
};
use serde::Deserialize;
use x509_cert::Certificate;

/// Largest body accepted. SNS messages are at most 256 KiB; JSON escaping can grow that.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest certificate response read (an SNS signing certificate is under 2 KiB).
pub const MAX_CERT_BYTES: usize = 16 * 1024;
/// Timeout for fetching a certificate or visiting a SubscribeURL.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fetched certificate is reused.
pub const CERT_CACHE_TTL: Duration = Duration::from_secs(60 * 60);
/// Messages older than this are refused as replays.
pub const MAX_AGE: TimeDelta = TimeDelta::hours(2);
/// Messages dated further ahead than this are refused (clock skew allowance).
pub const MAX_FUTURE: TimeDelta = TimeDelta::hours(1);

const CERT_CACHE_CAPACITY: u64 = 64;
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// Why a message was refused: a short reason for a log line. Attacker-supplied text in it is
/// truncated and stripped of control characters; tokens are never included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnsError {
    #[error("malformed SNS message: {0}")]
    Malformed(String),
    #[error("SNS topic not accepted: {0}")]
    UnknownTopic(String),
    #[error("untrusted SNS URL: {0}")]
    UntrustedCertUrl(String),
    #[error("SNS signing certificate could not be fetched: {0}")]
    CertFetch(String),
    #[error("bad SNS signing certificate: {0}")]
    BadCertificate(String),
    #[error("unsupported SNS SignatureVersion {0:?}")]
    UnsupportedSignatureVersion(String),
    #[error("SNS signature does not verify")]
    BadSignature,
    #[error("SNS message timestamp outside the accepted window")]
    Expired,
    #[error("SNS subscription confirmation failed: {0}")]
    Confirmation(String),
}

/// The `Type` of an SNS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnsKind {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl SnsKind {
    /// The `Type` value SNS sends.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notification => "Notification",
            Self::SubscriptionConfirmation => "SubscriptionConfirmation",
            Self::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "Notification" => Some(Self::Notification),
            "SubscriptionConfirmation" => Some(Self::SubscriptionConfirmation),
            "UnsubscribeConfirmation" => Some(Self::UnsubscribeConfirmation),
            _ => None,
        }
    }
}

/// A message whose signature verified, from a configured topic, inside the replay window.
#[derive(Clone, PartialEq, Eq)]
pub struct SnsMessage {
    pub kind: SnsKind,
    pub message_id: String,
    pub topic_arn: String,
    /// The payload: for SES notifications, the SES event as JSON text.
    pub message: String,
    /// Only notifications have one, and only when the publisher set it.
    pub subject: Option<String>,
    /// As SNS sent it (RFC 3339, e.g. `2024-05-01T12:00:00.000Z`).
    pub timestamp: String,
    /// Confirmations only: visiting it confirms the subscription (it carries the token).
    pub subscribe_url: Option<String>,
    /// Confirmations only.
    pub token: Option<String>,
    /// Notifications only (not signed by SNS, so don't act on it without checking it).
    pub unsubscribe_url: Option<String>,
}

// The token (and the SubscribeURL, which contains it) confirms a subscription: keep it out of logs.
impl fmt::Debug for SnsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnsMessage")
            .field("kind", &self.kind)
            .field("message_id", &self.message_id)
            .field("topic_arn", &self.topic_arn)
            .field("message", &self.message)
            .field("subject", &self.subject)
            .field("timestamp", &self.timestamp)
            .field(
                "subscribe_url",
                &self.subscribe_url.as_ref().map(|_| "[redacted]"),
            )
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// Checks SNS messages against one trusted certificate host and a list of topics. Cheap to
/// clone (shared certificate cache and HTTP client).
#[derive(Clone)]
pub struct SnsVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// The only host SigningCertURL and SubscribeURL may name; `None` if the configured value
    /// wasn't a host, which refuses every message.
    cert_host: Option<TrustedHost>,
    /// TopicArn values accepted.
    topics: Vec<String>,
    /// Fetches certificates and SubscribeURLs: short timeout, no redirects. `None` only if the
    /// TLS backend failed to start, which refuses every message that needs a fetch.
    client: Option<reqwest::Client>,
    /// Parsed signing certificates by URL.
    certs: moka::future::Cache<String, Arc<SigningCert>>,
}

impl fmt::Debug for SnsVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnsVerifier")
            .field("cert_host", &self.inner.cert_host.as_ref().map(|h| &h.display))
            .field("topics", &self.inner.topics)
            .finish_non_exhaustive()
    }
}

/// The public key and validity period of a signing certificate.
#[derive(Debug)]
struct SigningCert {
    /// PKCS#1 RSAPublicKey DER, as `ring` wants it.
    rsa_public_key: Vec<u8>,
    not_before: SystemTime,
    not_after: SystemTime,
}

/// The configured certificate host, parsed once.
#[derive(Debug)]
struct TrustedHost {
    host: url::Host<String>,
    /// An explicit port, if configured; otherwise the scheme's default is expected.
    port: Option<u16>,
    /// Plain http is accepted only for a loopback host (tests).
    loopback: bool,
    display: String,
}

impl TrustedHost {
    fn parse(value: &str) -> Option<Self> {
        let url = Url::parse(&format!("https://{value}/")).ok()?;
        let only_authority = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        if !only_authority {
            return None;
        }
        let host = url.host()?.to_owned();
        let loopback = match &host {
            url::Host::Domain(domain) => domain == "localhost",
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        Some(Self {
            host,
            port: url.port(),
            loopback,
            display: value.to_owned(),
        })
    }

    fn matches(&self, url: &Url) -> bool {
        let expected_port = self.port.or_else(|| default_port(url.scheme()));
        url.host().map(|h| h.to_owned()).as_ref() == Some(&self.host)
            && url.port_or_known_default() == expected_port
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlRole {
    SigningCert,
    Subscribe,
}

impl UrlRole {
    fn name(self) -> &'static str {
        match self {
            Self::SigningCert => "SigningCertURL",
            Self::Subscribe => "SubscribeURL",
        }
    }
}

/// The JSON fields SNS sends. Unknown fields (MessageAttributes, …) are ignored; a duplicated
/// field is an error (serde refuses it), so nobody can sign one value and make us read another.
#[derive(Deserialize)]
struct RawMessage {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "MessageId")]
    message_id: String,
    #[serde(rename = "TopicArn")]
    topic_arn: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Timestamp")]
    timestamp: String,
    #[serde(rename = "SignatureVersion")]
    signature_version: String,
    #[serde(rename = "Signature")]
    signature: String,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: String,
    #[serde(rename = "Subject", default)]
    subject: Option<String>,
    #[serde(rename = "SubscribeURL", default)]
    subscribe_url: Option<String>,
    #[serde(rename = "Token", default)]
    token: Option<String>,
    #[serde(rename = "UnsubscribeURL", default)]
    unsubscribe_url: Option<String>,
}

impl SnsVerifier {
    /// `cert_host`: the only host SigningCertURL / SubscribeURL may point at, e.g.
    /// "sns.eu-central-1.amazonaws.com" (may include a port, e.g. "127.0.0.1:41234" in tests).
    /// `topics`: the TopicArn values accepted.
    pub fn new(cert_host: impl Into<String>, topics: Vec<String>) -> Self {
        let cert_host = cert_host.into();
        let trusted = TrustedHost::parse(&cert_host);
        if trusted.is_none() {
            tracing::error!(cert_host = %sanitize(&cert_host), "SNS cert host is not a host[:port]; every SNS message will be refused");
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .redirect(Policy::none())
            .build();
        let client = match client {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(%error, "no HTTP client for SNS; every SNS message will be refused");
                None
            }
        };
        let certs = moka::future::Cache::builder()
            .max_capacity(CERT_CACHE_CAPACITY)
            .time_to_live(CERT_CACHE_TTL)
            .build();
        Self {
            inner: Arc::new(Inner {
                cert_host: trusted,
                topics,
                client,
                certs,
            }),
        }
    }

    /// The default cert host for a topic ARN: "sns.<region>.amazonaws.com" (".com.cn" for the
    /// aws-cn partition). `None` if it isn't an SNS topic ARN of a known partition.
    pub fn default_cert_host(topic_arn: &str) -> Option<String> {
        let mut parts = topic_arn.split(':');
        let (Some("arn"), Some(partition), Some("sns"), Some(region), Some(account), Some(name), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        if !region_ok || !account_ok || name.is_empty() {
            return None;
        }
        let domain = match partition {
            "aws" | "aws-us-gov" => "amazonaws.com",
            "aws-cn" => "amazonaws.com.cn",
            _ => return None,
        };
        Some(format!("sns.{region}.{domain}"))
    }

    /// The topics this verifier accepts.
    pub fn topics(&self) -> &[String] {
        &self.inner.topics
    }

    /// Parses and verifies one message body; fetches (and caches, keyed by URL) the signing
    /// certificate. Cheap checks (shape, topic, URLs) come before any network fetch.
    pub async fn verify(&self, body: &[u8]) -> Result<SnsMessage, SnsError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(SnsError::Malformed("body too large".into()));
        }
        let raw: RawMessage = serde_json::from_slice(body)
            .map_err(|e| SnsError::Malformed(format!("not an SNS message ({})", json_failure(&e))))?;
        let kind = SnsKind::parse(&raw.kind)
            .ok_or_else(|| SnsError::Malformed(format!("unknown Type {:?}", sanitize(&raw.kind))))?;
        self.check_topic(&raw.topic_arn)?;
        let algorithm = signature_algorithm(&raw.signature_version)?;
        let timestamp = DateTime::parse_from_rfc3339(&raw.timestamp)
            .map_err(|_| SnsError::Malformed("Timestamp is not RFC 3339".into()))?
            .with_timezone(&Utc);
        let cert_url = self.check_url(&raw.signing_cert_url, UrlRole::SigningCert)?;
        if kind != SnsKind::Notification {
            let subscribe_url = raw
                .subscribe_url
                .as_deref()
                .ok_or_else(|| SnsError::Malformed("SubscribeURL missing".into()))?;
            self.check_url(subscribe_url, UrlRole::Subscribe)?;
            if raw.token.is_none() {
                return Err(SnsError::Malformed("Token missing".into()));
            }
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(raw.signature.as_bytes())
            .map_err(|_| SnsError::Malformed("Signature is not base64".into()))?;
        let to_sign = string_to_sign(kind, &raw)?;

        let cert = self.signing_cert(&cert_url).await?;
        let now = SystemTime::now();
        if now < cert.not_before {
            return Err(SnsError::BadCertificate("not yet valid".into()));
        }
        if now > cert.not_after {
            return Err(SnsError::BadCertificate("expired".into()));
        }
        UnparsedPublicKey::new(algorithm, &cert.rsa_public_key)
            .verify(to_sign.as_bytes(), &signature)
            .map_err(|_| SnsError::BadSignature)?;

        // Checked after the signature, so a forged message is reported as forged, not as old.
        let age = Utc::now().signed_duration_since(timestamp);
        if age > MAX_AGE || age < -MAX_FUTURE {
            return Err(SnsError::Expired);
        }

        Ok(SnsMessage {
            kind,
            message_id: raw.message_id,
            topic_arn: raw.topic_arn,
            message: raw.message,
            subject: if kind == SnsKind::Notification {
                raw.subject
            } else {
                None
            },
            timestamp: raw.timestamp,
            subscribe_url: raw.subscribe_url,
            token: raw.token,
            unsubscribe_url: raw.unsubscribe_url,
        })
    }

    /// GETs the SubscribeURL of a verified SubscriptionConfirmation (URL host checked again).
    pub async fn confirm_subscription(&self, message: &SnsMessage) -> Result<(), SnsError> {
        if message.kind != SnsKind::SubscriptionConfirmation {
            return Err(SnsError::Malformed("not a SubscriptionConfirmation".into()));
        }
        self.check_topic(&message.topic_arn)?;
        let url = message
            .subscribe_url
            .as_deref()
            .ok_or_else(|| SnsError::Malformed("SubscribeURL missing".into()))?;
        let url = self.check_url(url, UrlRole::Subscribe)?;
        let client = self
            .client()
            .map_err(|_| SnsError::Confirmation("no HTTP client".into()))?;
        // The URL carries the token: `describe` never prints it.
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| SnsError::Confirmation(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SnsError::Confirmation(format!("HTTP {}", status.as_u16())));
        }
        Ok(())
    }

    fn check_topic(&self, topic_arn: &str) -> Result<(), SnsError> {
        if self.inner.topics.iter().any(|t| t == topic_arn) {
            Ok(())
        } else {
            Err(SnsError::UnknownTopic(sanitize(topic_arn)))
        }
    }

    /// SigningCertURL and SubscribeURL must be https:// on exactly the configured host (and
    /// port). The one exception, for tests: plain http:// is accepted when the configured host
    /// is a loopback address (127.0.0.0/8, [::1] or localhost, any port), because a test SNS
    /// server on this machine has no certificate a client would trust. A production host is
    /// never loopback, so this never loosens production.
    fn check_url(&self, value: &str, role: UrlRole) -> Result<Url, SnsError> {
        let name = role.name();
        let untrusted = |reason: String| Err(SnsError::UntrustedCertUrl(format!("{name} {reason}")));
        let Some(trusted) = &self.inner.cert_host else {
            return untrusted("can't be trusted: no valid cert host configured".into());
        };
        let Ok(url) = Url::parse(value) else {
            return untrusted("is not a URL".into());
        };
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => trusted.loopback,
            _ => false,
        };
        if !scheme_ok {
            return untrusted("must use https".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return untrusted("must not carry credentials".into());
        }
        if !trusted.matches(&url) {
            let host = url.host_str().unwrap_or("");
            return untrusted(format!("host {:?} is not the trusted host", sanitize(host)));
        }
        if role == UrlRole::SigningCert {
            if !url.path().ends_with(".pem") {
                return untrusted("path must end in .pem".into());
            }
            if url.query().is_some() || url.fragment().is_some() {
                return untrusted("must not have a query or fragment".into());
            }
        }
        Ok(url)
    }

    fn client(&self) -> Result<&reqwest::Client, SnsError> {
        self.inner
            .client
            .as_ref()
            .ok_or_else(|| SnsError::CertFetch("no HTTP client".into()))
    }

    async fn signing_cert(&self, url: &Url) -> Result<Arc<SigningCert>, SnsError> {
        // `try_get_with` fetches once for concurrent callers and caches only successes.
        self.inner
            .certs
            .try_get_with(url.as_str().to_owned(), self.fetch_cert(url))
            .await
            .map_err(|e: Arc<SnsError>| (*e).clone())
    }

    async fn fetch_cert(&self, url: &Url) -> Result<Arc<SigningCert>, SnsError> {
        let client = self.client()?;
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| SnsError::CertFetch(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SnsError::CertFetch(format!("HTTP {}", status.as_u16())));
        }
        let too_large = || SnsError::CertFetch(format!("response over {MAX_CERT_BYTES} bytes"));
        if response
            .content_length()
            .is_some_and(|length| length > MAX_CERT_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SnsError::CertFetch(describe(&e)))?
        {
            if body.len() + chunk.len() > MAX_CERT_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        parse_certificate(&body).map(Arc::new)
    }
}

/// Reads the first certificate of a PEM document: its RSA public key and validity period.
fn parse_certificate(pem: &[u8]) -> Result<SigningCert, SnsError> {
    let bad = |reason: &str| SnsError::BadCertificate(reason.to_owned());
    let chain = Certificate::load_pem_chain(pem).map_err(|_| bad("not a PEM X.509 certificate"))?;
    let cert = chain
        .into_iter()
        .next()
        .ok_or_else(|| bad("no certificate in the PEM document"))?;
    let tbs = cert.tbs_certificate();
    let spki = tbs.subject_public_key_info();
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
        return Err(bad("not an RSA key"));
    }
    let rsa_public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("malformed public key"))?
        .to_vec();
    let validity = tbs.validity();
    Ok(SigningCert {
        rsa_public_key,
        not_before: validity.not_before.to_system_time(),
        not_after: validity.not_after.to_system_time(),
    })
}

fn signature_algorithm(version: &str) -> Result<&'static dyn VerificationAlgorithm, SnsError> {
    match version {
        "1" => Ok(&RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        "2" => Ok(&RSA_PKCS1_2048_8192_SHA256),
        other => Err(SnsError::UnsupportedSignatureVersion(sanitize(other))),
    }
}

/// The string SNS signs: `name\nvalue\n` for each signed field, in AWS's order. Subject is
/// included only when present (notifications); confirmations sign SubscribeURL and Token.
fn string_to_sign(kind: SnsKind, raw: &RawMessage) -> Result<String, SnsError> {
    let mut fields: Vec<(&str, &str)> = vec![("Message", &raw.message), ("MessageId", &raw.message_id)];
    match kind {
        SnsKind::Notification => {
            if let Some(subject) = &raw.subject {
                fields.push(("Subject", subject));
            }
            fields.extend([
                ("Timestamp", raw.timestamp.as_str()),
                ("TopicArn", raw.topic_arn.as_str()),
            ]);
        }
        SnsKind::SubscriptionConfirmation | SnsKind::UnsubscribeConfirmation => {
            let missing = |field: &str| SnsError::Malformed(format!("{field} missing"));
            let subscribe_url = raw
                .subscribe_url
                .as_deref()
                .ok_or_else(|| missing("SubscribeURL"))?;
            let token = raw.token.as_deref().ok_or_else(|| missing("Token"))?;
            fields.extend([
                ("SubscribeURL", subscribe_url),
                ("Timestamp", raw.timestamp.as_str()),
                ("Token", token),
                ("TopicArn", raw.topic_arn.as_str()),
            ]);
        }
    }
    fields.push(("Type", kind.as_str()));
    let mut out = String::new();
    for (name, value) in fields {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    }
    Ok(out)
}

/// A reqwest failure in a few words, without the URL (a SubscribeURL carries a token).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else if error.is_redirect() {
        "redirected".into()
    } else if error.is_body() || error.is_decode() {
        "could not read the response".into()
    } else {
        "request failed".into()
    }
}

/// Attacker-supplied text for a log line: at most 100 characters, no control characters.
fn sanitize(value: &str) -> String {
    const MAX: usize = 100;
    let mut out: String = value
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if value.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// The kind of JSON failure, without echoing any of the input.
fn json_failure(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Data => "missing or mistyped field",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:folio-ses";

    fn raw(kind: &str, subject: Option<&str>) -> RawMessage {
        RawMessage {
            kind: kind.into(),
            message_id: "id-1".into(),
            topic_arn: TOPIC.into(),
            message: "hello\nworld".into(),
            timestamp: "2024-05-01T12:00:00.000Z".into(),
            signature_version: "1".into(),
            signature: String::new(),
            signing_cert_url: String::new(),
            subject: subject.map(Into::into),
            subscribe_url: Some("https://sns.example/confirm".into()),
            token: Some("tok".into()),
            unsubscribe_url: None,
        }
    }

    #[test]
    fn string_to_sign_for_a_notification_without_subject() {
        let s = string_to_sign(SnsKind::Notification, &raw("Notification", None)).unwrap();
        assert_eq!(
            s,
            "Message\nhello\nworld\nMessageId\nid-1\nTimestamp\n2024-05-01T12:00:00.000Z\n\
             TopicArn\narn:aws:sns:eu-central-1:123456789012:folio-ses\nType\nNotification\n"
        );
    }

    #[test]
    fn string_to_sign_for_a_notification_with_subject() {
        let s = string_to_sign(SnsKind::Notification, &raw("Notification", Some("Hi"))).unwrap();
        assert!(s.starts_with("Message\nhello\nworld\nMessageId\nid-1\nSubject\nHi\nTimestamp\n"));
        assert!(!s.contains("Token"), "notifications don't sign Token: {s}");
    }

    #[test]
    fn string_to_sign_for_a_confirmation() {
        let kind = SnsKind::SubscriptionConfirmation;
        let s = string_to_sign(kind, &raw(kind.as_str(), Some("ignored"))).unwrap();
        assert_eq!(
            s,
            "Message\nhello\nworld\nMessageId\nid-1\nSubscribeURL\nhttps://sns.example/confirm\n\
             Timestamp\n2024-05-01T12:00:00.000Z\nToken\ntok\n\
             TopicArn\narn:aws:sns:eu-central-1:123456789012:folio-ses\nType\nSubscriptionConfirmation\n"
        );
    }

    fn verifier(host: &str) -> SnsVerifier {
        SnsVerifier::new(host, vec![TOPIC.into()])
    }

    fn cert_url(host: &str, url: &str) -> Result<Url, SnsError> {
        verifier(host).check_url(url, UrlRole::SigningCert)
    }

    #[test]
    fn cert_urls_on_the_trusted_host_over_https_pass() {
        let host = "sns.eu-central-1.amazonaws.com";
        let url = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem";
        assert!(cert_url(host, url).is_ok());
        assert!(cert_url(host, "https://SNS.eu-central-1.amazonaws.com:443/x.pem").is_ok());
        assert!(cert_url("127.0.0.1:4000", "http://127.0.0.1:4000/x.pem").is_ok());
        assert!(cert_url("[::1]:4000", "http://[::1]:4000/x.pem").is_ok());
        assert!(cert_url("localhost:4000", "http://localhost:4000/x.pem").is_ok());
    }

    #[test]
    fn other_cert_urls_are_untrusted() {
        let host = "sns.eu-central-1.amazonaws.com";
        for url in [
            "http://sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com@evil.example/x.pem",
            "https://user@sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com:8443/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com/x.pem.txt",
            "https://sns.eu-central-1.amazonaws.com/x.pem?x=1",
            "https://sns.eu-central-1.amazonaws.com/",
            "ftp://sns.eu-central-1.amazonaws.com/x.pem",
            "file:///etc/x.pem",
            "not a url",
            "",
        ] {
            let result = cert_url(host, url);
            assert!(
                matches!(result, Err(SnsError::UntrustedCertUrl(_))),
                "{url}: {result:?}"
            );
        }
        // Loopback http needs the exact port too.
        assert!(cert_url("127.0.0.1:4000", "http://127.0.0.1:4001/x.pem").is_err());
        assert!(cert_url("127.0.0.1:4000", "http://127.0.0.1/x.pem").is_err());
    }

    #[test]
    fn subscribe_urls_need_not_end_in_pem() {
        let v = verifier("sns.eu-central-1.amazonaws.com");
        let ok = "https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription&Token=t";
        assert!(v.check_url(ok, UrlRole::Subscribe).is_ok());
        let bad = "https://evil.example/?Action=ConfirmSubscription&Token=t";
        assert!(matches!(
            v.check_url(bad, UrlRole::Subscribe),
            Err(SnsError::UntrustedCertUrl(_))
        ));
    }

    #[test]
    fn a_bad_cert_host_refuses_everything() {
        for host in ["", "evil.example/path", "user@host", "https://sns.amazonaws.com"] {
            let v = verifier(host);
            let result = v.check_url("https://sns.amazonaws.com/x.pem", UrlRole::SigningCert);
            assert!(result.is_err(), "{host:?}");
        }
    }

    #[test]
    fn default_cert_hosts() {
        assert_eq!(
            SnsVerifier::default_cert_host("arn:aws:sns:eu-central-1:123456789012:t").as_deref(),
            Some("sns.eu-central-1.amazonaws.com")
        );
        assert_eq!(
            SnsVerifier::default_cert_host("arn:aws-cn:sns:cn-north-1:123456789012:t").as_deref(),
            Some("sns.cn-north-1.amazonaws.com.cn")
        );
        for arn in [
            "",
            "arn:aws:sqs:eu-central-1:123456789012:t",
            "arn:aws:sns:eu-central-1:123456789012:",
            "arn:aws:sns:evil.example/:123456789012:t",
            "arn:aws:sns:eu-central-1:1234:t",
            "arn:aws:sns:eu-central-1:123456789012:t:extra",
            "arn:other:sns:eu-central-1:123456789012:t",
        ] {
            assert_eq!(SnsVerifier::default_cert_host(arn), None, "{arn}");
        }
    }

    #[tokio::test]
    async fn unknown_topics_are_refused_before_anything_else() {
        // The cert host is unreachable: a fetch would fail with CertFetch, not UnknownTopic.
        let v = SnsVerifier::new("127.0.0.1:9", vec![TOPIC.into()]);
        let body = serde_json::json!({
            "Type": "Notification", "MessageId": "1", "Message": "m",
            "TopicArn": "arn:aws:sns:eu-central-1:999999999999:attacker",
            "Timestamp": "2024-05-01T12:00:00.000Z", "SignatureVersion": "1", "Signature": "AAAA",
            "SigningCertURL": "http://127.0.0.1:9/x.pem",
        });
        let result = v.verify(body.to_string().as_bytes()).await;
        assert!(matches!(result, Err(SnsError::UnknownTopic(_))), "{result:?}");
    }

    #[tokio::test]
    async fn malformed_bodies_are_refused() {
        let v = verifier("127.0.0.1:9");
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"\xff\xfe",
            b"{\"Type\": 5}",
            &huge,
        ] {
            let result = v.verify(body).await;
            assert!(matches!(result, Err(SnsError::Malformed(_))), "{result:?}");
        }
    }

    #[test]
    fn sanitize_truncates_and_strips_control_characters() {
        assert_eq!(sanitize("a\nb\u{1b}c"), "a?b?c");
        let long = "x".repeat(500);
        assert_eq!(sanitize(&long).chars().count(), 101);
    }

    #[test]
    fn debug_redacts_the_token() {
        let message = SnsMessage {
            kind: SnsKind::SubscriptionConfirmation,
            message_id: "1".into(),
            topic_arn: TOPIC.into(),
            message: "m".into(),
            subject: None,
            timestamp: "t".into(),
            subscribe_url: Some("https://h/?Token=secret-token".into()),
            token: Some("secret-token".into()),
            unsubscribe_url: None,
        };
        assert!(!format!("{message:?}").contains("secret-token"));
    }
}
