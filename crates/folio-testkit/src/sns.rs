//! `SnsSigner`: plays Amazon SNS for tests. It holds an RSA-2048 key and a self-signed
//! certificate for it, serves the certificate over plain HTTP on 127.0.0.1 (the verifier accepts
//! http only for a loopback cert host), records every GET (so a test can assert that a
//! certificate was or wasn't fetched, or that a SubscribeURL was visited), and builds signed SNS
//! message bodies exactly as SNS does, plus forged and tampered ones.
//!
//! The string to sign is built here independently of `folio_web::sns`, so a mistake in one
//! shows up as a failing test rather than agreeing with itself.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use chrono::{SecondsFormat, Utc};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::{PrivateKey, sha2::Sha256};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CERT_PATH: &str = SnsSigner::CERT_PATH;
const HUGE_CERT_PATH: &str = SnsSigner::HUGE_CERT_PATH;
const NOT_A_CERT_PATH: &str = SnsSigner::NOT_A_CERT_PATH;

/// The signing key, made once per test binary: RSA key generation is the slow part.
fn signing_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(generate_key)
}

/// Another key, for forgeries that point at the real certificate.
fn other_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(generate_key)
}

fn generate_key() -> PrivateKey {
    PrivateKey::new(&mut getrandom::SysRng, 2048).expect("RSA key generation")
}

/// A self-signed certificate for the signing key, valid from `not_before` to `not_after`.
fn certificate_pem(not_before: time::OffsetDateTime, not_after: time::OffsetDateTime) -> String {
    let pkcs8 = signing_key()
        .to_pkcs8_pem(LineEnding::LF)
        .expect("PKCS#8 encoding of the test key");
    let key_pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
        .expect("rcgen accepts the RSA key");
    let mut params =
        rcgen::CertificateParams::new(vec!["sns.folio.test".to_owned()]).expect("certificate parameters");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sns.folio.test");
    params.not_before = not_before;
    params.not_after = not_after;
    params
        .self_signed(&key_pair)
        .expect("self-signed certificate")
        .pem()
}

/// One SNS message before it is signed. Every field is public so a test can bend one (an old
/// timestamp, another cert URL, an unknown SignatureVersion) and then sign it.
#[derive(Debug, Clone)]
pub struct SnsEnvelope {
    /// `Type`: Notification, SubscriptionConfirmation or UnsubscribeConfirmation.
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    pub message: String,
    pub subject: Option<String>,
    /// RFC 3339 with milliseconds and `Z`, as SNS sends it.
    pub timestamp: String,
    pub subscribe_url: Option<String>,
    pub token: Option<String>,
    pub unsubscribe_url: Option<String>,
    /// "1" signs with SHA1withRSA; anything else with SHA256withRSA.
    pub signature_version: String,
    pub signing_cert_url: String,
}

impl SnsEnvelope {
    /// The string SNS signs (AWS's documented field order).
    pub fn string_to_sign(&self) -> String {
        let mut names: Vec<(&str, &str)> = vec![("Message", &self.message), ("MessageId", &self.message_id)];
        if self.kind == "Notification" {
            if let Some(subject) = &self.subject {
                names.push(("Subject", subject));
            }
            names.push(("Timestamp", &self.timestamp));
            names.push(("TopicArn", &self.topic_arn));
        } else {
            names.push(("SubscribeURL", self.subscribe_url.as_deref().unwrap_or_default()));
            names.push(("Timestamp", &self.timestamp));
            names.push(("Token", self.token.as_deref().unwrap_or_default()));
            names.push(("TopicArn", &self.topic_arn));
        }
        names.push(("Type", &self.kind));
        names
            .into_iter()
            .map(|(name, value)| format!("{name}\n{value}\n"))
            .collect()
    }

    /// The JSON body SNS would POST, with `signature` (base64).
    pub fn to_json(&self, signature: &str) -> String {
        let mut body = json!({
            "Type": self.kind,
            "MessageId": self.message_id,
            "TopicArn": self.topic_arn,
            "Message": self.message,
            "Timestamp": self.timestamp,
            "SignatureVersion": self.signature_version,
            "Signature": signature,
            "SigningCertURL": self.signing_cert_url,
        });
        let fields = [
            ("Subject", &self.subject),
            ("SubscribeURL", &self.subscribe_url),
            ("Token", &self.token),
            ("UnsubscribeURL", &self.unsubscribe_url),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                body[name] = Value::String(value.clone());
            }
        }
        body.to_string()
    }
}

fn sign_with(key: &PrivateKey, envelope: &SnsEnvelope) -> String {
    let data = envelope.string_to_sign();
    let signature = if envelope.signature_version == "1" {
        key.pkcs1v15_sign::<sha1::Sha1>(data.as_bytes())
    } else {
        key.pkcs1v15_sign::<Sha256>(data.as_bytes())
    }
    .expect("RSA signing");
    base64::engine::general_purpose::STANDARD.encode(signature)
}

/// Plays SNS: see the module docs. The server stops when the signer is dropped.
pub struct SnsSigner {
    addr: SocketAddr,
    cert_pem: Arc<String>,
    requests: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SnsSigner {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl SnsSigner {
    /// The certificate's path on the signer's server (AWS's look like this too).
    pub const CERT_PATH: &str = "/SimpleNotificationService-folio-test.pem";
    /// Serves 64 KiB of junk, for the verifier's response size cap.
    pub const HUGE_CERT_PATH: &str = "/huge.pem";
    /// Serves a short text that isn't a certificate.
    pub const NOT_A_CERT_PATH: &str = "/not-a-certificate.pem";

    /// A signer whose certificate is valid from yesterday to next year.
    pub async fn start() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self::start_with_validity(now - time::Duration::days(1), now + time::Duration::days(365)).await
    }

    /// A signer whose certificate expired yesterday.
    pub async fn start_with_expired_cert() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self::start_with_validity(now - time::Duration::days(30), now - time::Duration::days(1)).await
    }

    /// A signer whose certificate is valid from `not_before` to `not_after`.
    pub async fn start_with_validity(
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Self {
        let cert_pem = tokio::task::spawn_blocking(move || certificate_pem(not_before, not_after))
            .await
            .expect("certificate generation");
        let cert_pem = Arc::new(cert_pem);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let server = tokio::spawn(serve(listener, cert_pem.clone(), requests.clone()));
        Self {
            addr,
            cert_pem,
            requests,
            server,
        }
    }

    /// `127.0.0.1:PORT`: the cert host to configure the verifier with.
    pub fn cert_host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Where the certificate is served.
    pub fn cert_url(&self) -> String {
        self.url(CERT_PATH)
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A SubscribeURL on this server (`token` should be URL-safe, e.g. hex).
    pub fn subscribe_url(&self, token: &str) -> String {
        self.url(&format!("/confirm?Action=ConfirmSubscription&Token={token}"))
    }

    /// Every GET target (path and query) received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// How many times the certificate was fetched.
    pub fn cert_fetches(&self) -> usize {
        self.requests()
            .iter()
            .filter(|target| *target == CERT_PATH)
            .count()
    }

    /// The `/confirm?…` targets visited (confirmed subscriptions).
    pub fn confirmations(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|target| target.starts_with("/confirm"))
            .collect()
    }

    /// A fresh envelope of `kind` on `topic_arn`: new MessageId, current Timestamp,
    /// SignatureVersion "2", this signer's cert URL; a confirmation gets a Token and SubscribeURL,
    /// a notification an UnsubscribeURL.
    pub fn envelope(&self, kind: &str, topic_arn: &str, message: &str) -> SnsEnvelope {
        let notification = kind == "Notification";
        let token = (!notification).then(|| {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        });
        SnsEnvelope {
            kind: kind.to_owned(),
            message_id: uuid::Uuid::new_v4().to_string(),
            topic_arn: topic_arn.to_owned(),
            message: message.to_owned(),
            subject: None,
            timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            subscribe_url: token.as_deref().map(|t| self.subscribe_url(t)),
            token,
            unsubscribe_url: notification.then(|| {
                let subscription = format!("{topic_arn}:{}", uuid::Uuid::new_v4());
                self.url(&format!(
                    "/unsubscribe?Action=Unsubscribe&SubscriptionArn={subscription}"
                ))
            }),
            signature_version: "2".to_owned(),
            signing_cert_url: self.cert_url(),
        }
    }

    /// `envelope` as a signed SNS body.
    pub fn sign(&self, envelope: &SnsEnvelope) -> String {
        envelope.to_json(&sign_with(signing_key(), envelope))
    }

    /// `envelope` signed by a key other than the certificate's (a forgery).
    pub fn sign_with_other_key(&self, envelope: &SnsEnvelope) -> String {
        envelope.to_json(&sign_with(other_key(), envelope))
    }

    /// A signed Notification carrying `message` (SignatureVersion 1 or 2).
    pub fn notification(&self, topic_arn: &str, message: &str, signature_version: u8) -> String {
        let mut envelope = self.envelope("Notification", topic_arn, message);
        envelope.signature_version = signature_version.to_string();
        self.sign(&envelope)
    }

    /// A signed SubscriptionConfirmation whose SubscribeURL points at this server.
    pub fn subscription_confirmation(&self, topic_arn: &str) -> String {
        let message = format!(
            "You have chosen to subscribe to the topic {topic_arn}.\n\
             To confirm the subscription, visit the SubscribeURL included in this message."
        );
        let envelope = self.envelope("SubscriptionConfirmation", topic_arn, &message);
        self.sign(&envelope)
    }

    /// A Notification signed by another key but naming this signer's certificate.
    pub fn forged_notification(&self, topic_arn: &str, message: &str) -> String {
        self.sign_with_other_key(&self.envelope("Notification", topic_arn, message))
    }

    /// A Notification signed over `message`, whose Message was then replaced by `tampered`.
    pub fn tampered_notification(&self, topic_arn: &str, message: &str, tampered: &str) -> String {
        let mut envelope = self.envelope("Notification", topic_arn, message);
        let signature = sign_with(signing_key(), &envelope);
        envelope.message = tampered.to_owned();
        envelope.to_json(&signature)
    }

    /// An SES event-publishing Bounce notification for `email` (Permanent/General, or
    /// Transient/MailboxFull), as SES publishes it to SNS (SignatureVersion 1, SNS's default).
    pub fn bounce(&self, topic_arn: &str, email: &str, permanent: bool) -> String {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let (bounce_type, sub_type, status, diagnostic) = if permanent {
            (
                "Permanent",
                "General",
                "5.1.1",
                "smtp; 550 5.1.1 The email account that you tried to reach does not exist.",
            )
        } else {
            (
                "Transient",
                "MailboxFull",
                "4.2.2",
                "smtp; 452 4.2.2 The email account that you tried to reach is over quota.",
            )
        };
        let event = json!({
            "eventType": "Bounce",
            "bounce": {
                "feedbackId": feedback_id(),
                "bounceType": bounce_type,
                "bounceSubType": sub_type,
                "bouncedRecipients": [{
                    "emailAddress": email,
                    "action": "failed",
                    "status": status,
                    "diagnosticCode": diagnostic,
                }],
                "timestamp": now,
                "reportingMTA": "dns; b224-13.smtp-out.eu-central-1.amazonses.com",
            },
            "mail": ses_mail(topic_arn, email, &now),
        });
        self.notification(topic_arn, &event.to_string(), 1)
    }

    /// An SES event-publishing Complaint notification for `email` (feedback type "abuse").
    pub fn complaint(&self, topic_arn: &str, email: &str) -> String {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let event = json!({
            "eventType": "Complaint",
            "complaint": {
                "feedbackId": feedback_id(),
                "complaintSubType": null,
                "complainedRecipients": [{ "emailAddress": email }],
                "timestamp": now,
                "userAgent": "Mozilla/5.0 (compatible; Folio test mailbox provider)",
                "complaintFeedbackType": "abuse",
                "arrivalDate": now,
            },
            "mail": ses_mail(topic_arn, email, &now),
        });
        self.notification(topic_arn, &event.to_string(), 1)
    }
}

fn feedback_id() -> String {
    format!(
        "0102018f{}-{}-000000",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4()
    )
}

/// The `mail` object of an SES event: the original message's envelope and common headers.
fn ses_mail(topic_arn: &str, email: &str, timestamp: &str) -> Value {
    let mut arn = topic_arn.split(':');
    let region = arn.nth(3).unwrap_or("eu-central-1");
    let account = arn.next().unwrap_or("123456789012");
    let message_id = format!(
        "0107018f{}-{}-000000",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4()
    );
    let from = "folio@example.org";
    let subject = "Your sign-in link";
    json!({
        "timestamp": timestamp,
        "source": format!("Folio <{from}>"),
        "sourceArn": format!("arn:aws:ses:{region}:{account}:identity/example.org"),
        "sendingAccountId": account,
        "messageId": message_id,
        "destination": [email],
        "headersTruncated": false,
        "headers": [
            { "name": "From", "value": format!("Folio <{from}>") },
            { "name": "To", "value": email },
            { "name": "Subject", "value": subject },
            { "name": "MIME-Version", "value": "1.0" },
            { "name": "Content-Type", "value": "text/plain; charset=UTF-8" },
        ],
        "commonHeaders": {
            "from": [format!("Folio <{from}>")],
            "to": [email],
            "messageId": message_id,
            "subject": subject,
        },
        "tags": {
            "ses:operation": ["SendEmail"],
            "ses:configuration-set": ["folio"],
            "ses:source-ip": ["192.0.2.10"],
            "ses:from-domain": ["example.org"],
            "ses:caller-identity": ["folio"],
        },
    })
}

/// A minimal HTTP/1.1 server: one request per connection, GET only, `Connection: close`.
async fn serve(listener: TcpListener, cert_pem: Arc<String>, requests: Arc<Mutex<Vec<String>>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(answer(stream, cert_pem.clone(), requests.clone()));
    }
}

async fn answer(mut stream: TcpStream, cert_pem: Arc<String>, requests: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    requests.lock().unwrap().push(target.clone());
    let path = target.split('?').next().unwrap_or_default();
    let (status, content_type, body) = match (method.as_str(), path) {
        ("GET", CERT_PATH) => ("200 OK", "application/x-x509-ca-cert", cert_pem.to_string()),
        ("GET", HUGE_CERT_PATH) => ("200 OK", "application/x-x509-ca-cert", "A".repeat(64 * 1024)),
        ("GET", NOT_A_CERT_PATH) => ("200 OK", "text/plain", "hello, not a certificate".to_owned()),
        ("GET", "/confirm") => (
            "200 OK",
            "text/xml",
            "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>\
             arn:aws:sns:test</SubscriptionArn></ConfirmSubscriptionResult>\
             </ConfirmSubscriptionResponse>"
                .to_owned(),
        ),
        _ => ("404 Not Found", "text/plain", "not found".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
