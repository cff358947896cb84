//! The SES v2 transport against moto's SES emulator (a separate process): the raw message SES
//! receives carries the same headers as over SMTP, and refusals are classified.

// Test helpers may panic: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use folio_jobs::{Email, MailError, Mailer};
use folio_testkit::{MOTO_ACCESS_KEY, MOTO_SECRET_KEY, MotoServer};
use serde_json::json;

const FROM: &str = "Folio <folio@example.org>";

async fn mailer(moto: &MotoServer, query: &str, from: &str) -> Mailer {
    let url = format!("ses://us-east-1?endpoint={}{query}", moto.endpoint());
    Mailer::connect_ses_with_keys(&url, from, MOTO_ACCESS_KEY, MOTO_SECRET_KEY)
        .await
        .unwrap()
}

fn notification(to: &str) -> Email {
    Email {
        to: to.into(),
        subject: "New on Folio: Ünïcode title".into(),
        text: "A new item.\n\nhttps://folio.example.org/site/items/a/b/\n".into(),
        html: "<p>A new item.</p>".into(),
        list_unsubscribe: Some("https://folio.example.org/site/unsubscribe/t0ken/".into()),
        reply_to: None,
    }
}

#[tokio::test]
async fn ses_sends_the_same_raw_message_as_smtp() {
    let Some(moto) = MotoServer::start().await else {
        return;
    };
    moto.sesv2("/v2/email/identities", json!({"EmailIdentity": "example.org"}))
        .await;
    moto.sesv2(
        "/v2/email/configuration-sets",
        json!({"ConfigurationSetName": "folio-test"}),
    )
    .await;
    let mailer = mailer(&moto, "&configuration_set=folio-test", FROM).await;
    mailer.check().await.unwrap();

    mailer.send(&notification("reader@example.net")).await.unwrap();

    let sent = moto.sent_raw_messages().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (source, destinations, raw) = &sent[0];
    assert_eq!(source, "folio@example.org");
    assert!(
        destinations.iter().any(|d| d == "reader@example.net"),
        "{destinations:?}"
    );
    for header in [
        "From: Folio <folio@example.org>",
        "To: reader@example.net",
        "List-Unsubscribe: <https://folio.example.org/site/unsubscribe/t0ken/>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Content-Type: multipart/alternative",
    ] {
        assert!(raw.contains(header), "{header} missing from:\n{raw}");
    }
    // The non-ASCII subject is encoded, as RFC 2047 wants.
    assert!(raw.contains("Subject: New on Folio: =?utf-8?b?"), "{raw}");
    assert!(raw.contains("https://folio.example.org/site/items/a/b/"), "{raw}");
}

#[tokio::test]
async fn ses_refusals_are_permanent_and_checks_fail_clearly() {
    let Some(moto) = MotoServer::start().await else {
        return;
    };
    moto.sesv2("/v2/email/identities", json!({"EmailIdentity": "example.org"}))
        .await;

    // A sender SES has not verified: rejected for good, not retried.
    let unverified = mailer(&moto, "", "Folio <folio@unverified.example>").await;
    let err = unverified
        .send(&notification("reader@example.net"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Ses { transient: false, .. }), "{err}");
    assert!(!Mailer::refused_temporarily(&err));
    let check = unverified.check().await.unwrap_err();
    assert!(check.to_string().contains("unverified.example"), "{check}");

    // A configuration set that does not exist: the check says which.
    let missing_set = mailer(&moto, "&configuration_set=absent", FROM).await;
    let check = missing_set.check().await.unwrap_err();
    assert!(
        check
            .to_string()
            .contains("configuration set absent does not exist"),
        "{check}"
    );

    // SES unreachable: worth trying again later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ses://us-east-1?endpoint=http://127.0.0.1:{port}");
    let down = Mailer::connect_ses_with_keys(&url, FROM, MOTO_ACCESS_KEY, MOTO_SECRET_KEY)
        .await
        .unwrap();
    let err = down.send(&notification("reader@example.net")).await.unwrap_err();
    assert!(Mailer::refused_temporarily(&err), "{err}");
    assert!(moto.sent_raw_messages().await.is_empty());
}

/// One HTTP request as an SES endpoint receives it.
struct Captured {
    head: String,
    body: String,
}

/// A stand-in SES endpoint that records each request and accepts it: moto does not record the
/// configuration set or the signature, so this checks what goes over the wire.
async fn capturing_endpoint() -> (String, tokio::sync::mpsc::UnboundedReceiver<Captured>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut buffer = [0u8; 8192];
            let (head, body) = loop {
                let n = stream.read(&mut buffer).await.unwrap();
                raw.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= length || n == 0 {
                        break (head.to_owned(), body.to_owned());
                    }
                }
            };
            let reply = r#"{"MessageId":"captured-1"}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
            stream.write_all(response.as_bytes()).await.unwrap();
            let _ = tx.send(Captured { head, body });
        }
    });
    (endpoint, rx)
}

#[tokio::test]
async fn ses_requests_are_signed_for_ses_and_carry_the_configuration_set() {
    let (endpoint, mut requests) = capturing_endpoint().await;
    let url = format!("ses://eu-central-1?configuration_set=folio-prod&endpoint={endpoint}");
    let mailer = Mailer::connect_ses_with_keys(&url, FROM, "AKIDEXAMPLE", "secret")
        .await
        .unwrap();
    mailer.send(&notification("reader@example.net")).await.unwrap();

    let request = requests.recv().await.unwrap();
    assert!(
        request.head.starts_with("POST /v2/email/outbound-emails "),
        "{}",
        request.head
    );
    let authorization = request
        .head
        .lines()
        .find_map(|line| line.strip_prefix("authorization: "))
        .unwrap_or_default();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && authorization.contains("/eu-central-1/ses/aws4_request"),
        "{authorization}"
    );
    assert!(!request.head.contains("secret"), "the secret key never travels");
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["ConfigurationSetName"], "folio-prod");
    assert_eq!(body["FromEmailAddress"], "folio@example.org");
    assert_eq!(body["Destination"]["ToAddresses"][0], "reader@example.net");
    let raw = body["Content"]["Raw"]["Data"].as_str().unwrap();
    let raw = String::from_utf8(STANDARD.decode(raw).unwrap()).unwrap();
    assert!(
        raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
}
