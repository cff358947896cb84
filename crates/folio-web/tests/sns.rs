//! `folio_web::sns::SnsVerifier` against `folio_testkit::SnsSigner`, which plays SNS on
//! 127.0.0.1: real RSA signatures, a real certificate served over HTTP, real fetches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{SecondsFormat, Utc};
use folio_testkit::SnsSigner;
use folio_web::sns::{MAX_BODY_BYTES, SnsError, SnsKind, SnsVerifier};

const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:folio-ses";
const OTHER_TOPIC: &str = "arn:aws:sns:eu-central-1:999999999999:attacker";

async fn setup() -> (SnsSigner, SnsVerifier) {
    let signer = SnsSigner::start().await;
    let verifier = SnsVerifier::new(signer.cert_host(), vec![TOPIC.to_owned()]);
    (signer, verifier)
}

#[tokio::test]
async fn valid_v1_and_v2_notifications_verify() {
    let (signer, verifier) = setup().await;
    for version in [1, 2] {
        let body = signer.notification(TOPIC, r#"{"hello":"world"}"#, version);
        let message = verifier.verify(body.as_bytes()).await.expect("verifies");
        assert_eq!(message.kind, SnsKind::Notification);
        assert_eq!(message.topic_arn, TOPIC);
        assert_eq!(message.message, r#"{"hello":"world"}"#);
        assert_eq!(message.subject, None);
        assert!(message.timestamp.ends_with('Z'));
    }
    // The certificate was fetched once and then served from the cache.
    assert_eq!(signer.cert_fetches(), 1);
}

#[tokio::test]
async fn a_notification_with_a_subject_verifies() {
    let (signer, verifier) = setup().await;
    for version in ["1", "2"] {
        let mut envelope = signer.envelope("Notification", TOPIC, "line one\nline two");
        envelope.subject = Some("Amazon SES Email Event Notification".to_owned());
        envelope.signature_version = version.to_owned();
        let message = verifier.verify(signer.sign(&envelope).as_bytes()).await.unwrap();
        assert_eq!(
            message.subject.as_deref(),
            Some("Amazon SES Email Event Notification")
        );
        assert_eq!(message.message, "line one\nline two");
    }
}

#[tokio::test]
async fn ses_bounce_and_complaint_notifications_verify() {
    let (signer, verifier) = setup().await;
    let bounce = verifier
        .verify(signer.bounce(TOPIC, "gone@example.com", true).as_bytes())
        .await
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&bounce.message).unwrap();
    assert_eq!(event["eventType"], "Bounce");
    assert_eq!(event["bounce"]["bounceType"], "Permanent");
    assert_eq!(
        event["bounce"]["bouncedRecipients"][0]["emailAddress"],
        "gone@example.com"
    );
    let soft = verifier
        .verify(signer.bounce(TOPIC, "full@example.com", false).as_bytes())
        .await
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&soft.message).unwrap();
    assert_eq!(event["bounce"]["bounceType"], "Transient");

    let complaint = verifier
        .verify(signer.complaint(TOPIC, "angry@example.com").as_bytes())
        .await
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(&complaint.message).unwrap();
    assert_eq!(event["eventType"], "Complaint");
    assert_eq!(
        event["complaint"]["complainedRecipients"][0]["emailAddress"],
        "angry@example.com"
    );
    assert_eq!(event["mail"]["destination"][0], "angry@example.com");
}

#[tokio::test]
async fn a_subscription_confirmation_verifies_and_is_confirmed() {
    let (signer, verifier) = setup().await;
    let body = signer.subscription_confirmation(TOPIC);
    let message = verifier.verify(body.as_bytes()).await.unwrap();
    assert_eq!(message.kind, SnsKind::SubscriptionConfirmation);
    let token = message.token.clone().expect("a token");
    assert!(signer.confirmations().is_empty());

    verifier.confirm_subscription(&message).await.unwrap();
    let confirmations = signer.confirmations();
    assert_eq!(confirmations.len(), 1);
    assert!(confirmations[0].contains(&token), "{confirmations:?}");
}

#[tokio::test]
async fn an_unsubscribe_confirmation_verifies_but_is_not_confirmed() {
    let (signer, verifier) = setup().await;
    let envelope = signer.envelope("UnsubscribeConfirmation", TOPIC, "You have unsubscribed");
    let message = verifier.verify(signer.sign(&envelope).as_bytes()).await.unwrap();
    assert_eq!(message.kind, SnsKind::UnsubscribeConfirmation);
    let result = verifier.confirm_subscription(&message).await;
    assert!(matches!(result, Err(SnsError::Malformed(_))), "{result:?}");
    assert!(signer.confirmations().is_empty());
}

#[tokio::test]
async fn confirm_subscription_checks_the_url_again() {
    let (signer, verifier) = setup().await;
    let body = signer.subscription_confirmation(TOPIC);
    let mut message = verifier.verify(body.as_bytes()).await.unwrap();
    message.subscribe_url = Some("https://evil.example/confirm?Token=x".to_owned());
    let result = verifier.confirm_subscription(&message).await;
    assert!(matches!(result, Err(SnsError::UntrustedCertUrl(_))), "{result:?}");
    assert!(signer.confirmations().is_empty());
}

#[tokio::test]
async fn a_tampered_message_is_refused() {
    let (signer, verifier) = setup().await;
    let body =
        signer.tampered_notification(TOPIC, r#"{"eventType":"Delivery"}"#, r#"{"eventType":"Bounce"}"#);
    let result = verifier.verify(body.as_bytes()).await;
    assert_eq!(result, Err(SnsError::BadSignature));
}

#[tokio::test]
async fn tampering_with_any_signed_field_is_refused() {
    let (signer, verifier) = setup().await;
    let envelope = signer.envelope("Notification", TOPIC, "m");
    let signed: serde_json::Value = serde_json::from_str(&signer.sign(&envelope)).unwrap();
    for (field, value) in [
        ("MessageId", "another-id"),
        ("Subject", "added after signing"),
        (
            "Timestamp",
            &Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    ] {
        let mut body = signed.clone();
        body[field] = serde_json::Value::String(value.to_owned());
        let result = verifier.verify(body.to_string().as_bytes()).await;
        assert_eq!(result, Err(SnsError::BadSignature), "{field}");
    }
    // A confirmation's SubscribeURL is signed too.
    let envelope = signer.envelope("SubscriptionConfirmation", TOPIC, "m");
    let mut body: serde_json::Value = serde_json::from_str(&signer.sign(&envelope)).unwrap();
    body["SubscribeURL"] = signer.subscribe_url("other-token").into();
    let result = verifier.verify(body.to_string().as_bytes()).await;
    assert_eq!(result, Err(SnsError::BadSignature));
}

#[tokio::test]
async fn a_message_signed_by_another_key_is_refused() {
    let (signer, verifier) = setup().await;
    let body = signer.forged_notification(TOPIC, "forged");
    let result = verifier.verify(body.as_bytes()).await;
    assert_eq!(result, Err(SnsError::BadSignature));
}

#[tokio::test]
async fn a_signature_of_the_wrong_version_is_refused() {
    let (signer, verifier) = setup().await;
    // Signed with SHA1 but claiming SignatureVersion 2.
    let mut envelope = signer.envelope("Notification", TOPIC, "m");
    envelope.signature_version = "1".to_owned();
    let mut body: serde_json::Value = serde_json::from_str(&signer.sign(&envelope)).unwrap();
    body["SignatureVersion"] = "2".into();
    let result = verifier.verify(body.to_string().as_bytes()).await;
    assert_eq!(result, Err(SnsError::BadSignature));
}

#[tokio::test]
async fn an_unknown_topic_is_refused_without_fetching_the_cert() {
    let (signer, verifier) = setup().await;
    let body = signer.notification(OTHER_TOPIC, "m", 2);
    let result = verifier.verify(body.as_bytes()).await;
    assert!(matches!(result, Err(SnsError::UnknownTopic(_))), "{result:?}");
    assert_eq!(signer.cert_fetches(), 0);
    assert!(signer.requests().is_empty());
}

#[tokio::test]
async fn untrusted_cert_urls_are_refused_without_fetching() {
    let (signer, verifier) = setup().await;
    let port = signer.cert_host().rsplit(':').next().unwrap().to_owned();
    for url in [
        // Another host (and another port on the same host).
        format!("http://evil.example:{port}/SimpleNotificationService-x.pem"),
        format!("http://localhost:{port}/SimpleNotificationService-x.pem"),
        "http://127.0.0.1:1/SimpleNotificationService-x.pem".to_owned(),
        // Not a .pem path.
        signer.url("/SimpleNotificationService-x.txt"),
        signer.url("/confirm"),
    ] {
        let mut envelope = signer.envelope("Notification", TOPIC, "m");
        envelope.signing_cert_url = url.clone();
        let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
        assert!(
            matches!(result, Err(SnsError::UntrustedCertUrl(_))),
            "{url}: {result:?}"
        );
    }
    assert!(signer.requests().is_empty(), "{:?}", signer.requests());
}

#[tokio::test]
async fn plain_http_is_refused_for_a_non_loopback_cert_host() {
    let signer = SnsSigner::start().await;
    let verifier = SnsVerifier::new("sns.eu-central-1.amazonaws.com", vec![TOPIC.to_owned()]);
    let mut envelope = signer.envelope("Notification", TOPIC, "m");
    envelope.signing_cert_url =
        "http://sns.eu-central-1.amazonaws.com/SimpleNotificationService-x.pem".to_owned();
    let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
    assert!(matches!(result, Err(SnsError::UntrustedCertUrl(_))), "{result:?}");
}

#[tokio::test]
async fn an_untrusted_subscribe_url_is_refused() {
    let (signer, verifier) = setup().await;
    let mut envelope = signer.envelope("SubscriptionConfirmation", TOPIC, "m");
    envelope.subscribe_url = Some("https://evil.example/confirm?Token=t".to_owned());
    let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
    assert!(matches!(result, Err(SnsError::UntrustedCertUrl(_))), "{result:?}");
    assert!(signer.requests().is_empty());
}

#[tokio::test]
async fn signature_versions_other_than_1_and_2_are_refused() {
    let (signer, verifier) = setup().await;
    for version in ["3", "0", "", "1.0", "2 "] {
        let mut envelope = signer.envelope("Notification", TOPIC, "m");
        envelope.signature_version = version.to_owned();
        let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
        assert!(
            matches!(result, Err(SnsError::UnsupportedSignatureVersion(_))),
            "{version:?}: {result:?}"
        );
    }
    assert_eq!(signer.cert_fetches(), 0);
}

#[tokio::test]
async fn old_and_future_timestamps_are_refused() {
    let (signer, verifier) = setup().await;
    let at = |hours: i64| {
        (Utc::now() + chrono::TimeDelta::hours(hours)).to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    for timestamp in [at(-3), at(-24 * 30), at(2), "2012-04-26T20:45:04.751Z".to_owned()] {
        let mut envelope = signer.envelope("Notification", TOPIC, "m");
        envelope.timestamp = timestamp.clone();
        let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
        assert_eq!(result, Err(SnsError::Expired), "{timestamp}");
    }
    // Inside the window (a retried delivery an hour later; a fast clock) is fine.
    for timestamp in [at(-1), Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)] {
        let mut envelope = signer.envelope("Notification", TOPIC, "m");
        envelope.timestamp = timestamp.clone();
        let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
        assert!(result.is_ok(), "{timestamp}: {result:?}");
    }
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let signer = SnsSigner::start_with_expired_cert().await;
    let verifier = SnsVerifier::new(signer.cert_host(), vec![TOPIC.to_owned()]);
    let result = verifier
        .verify(signer.notification(TOPIC, "m", 2).as_bytes())
        .await;
    assert!(matches!(result, Err(SnsError::BadCertificate(_))), "{result:?}");
}

#[tokio::test]
async fn certificate_fetch_failures_are_reported() {
    let (signer, verifier) = setup().await;
    let cases = [
        (signer.url("/missing.pem"), "404"),
        (signer.url(SnsSigner::HUGE_CERT_PATH), "too large"),
    ];
    for (url, what) in cases {
        let mut envelope = signer.envelope("Notification", TOPIC, "m");
        envelope.signing_cert_url = url;
        let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
        assert!(
            matches!(result, Err(SnsError::CertFetch(_))),
            "{what}: {result:?}"
        );
    }
    // Nothing listens on the port any more: a connection failure, not a hang.
    let host = signer.cert_host();
    let url = signer.cert_url();
    let body = signer.notification(TOPIC, "m", 2);
    drop(signer);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let verifier = SnsVerifier::new(host, vec![TOPIC.to_owned()]);
    let result = verifier.verify(body.as_bytes()).await;
    assert!(matches!(result, Err(SnsError::CertFetch(_))), "{url}: {result:?}");
}

#[tokio::test]
async fn a_non_certificate_is_a_bad_certificate() {
    let (signer, verifier) = setup().await;
    let mut envelope = signer.envelope("Notification", TOPIC, "m");
    envelope.signing_cert_url = signer.url(SnsSigner::NOT_A_CERT_PATH);
    let result = verifier.verify(signer.sign(&envelope).as_bytes()).await;
    assert!(matches!(result, Err(SnsError::BadCertificate(_))), "{result:?}");
}

#[tokio::test]
async fn garbage_bodies_are_malformed_and_never_panic() {
    let (signer, verifier) = setup().await;
    let valid: serde_json::Value = serde_json::from_str(&signer.notification(TOPIC, "m", 2)).unwrap();
    let mut bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"   ".to_vec(),
        b"not json".to_vec(),
        b"<xml/>".to_vec(),
        b"{".to_vec(),
        b"{}".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"\"Notification\"".to_vec(),
        vec![0xff; 100],
        vec![b'['; 100_000],
        format!("{{\"Message\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES)).into_bytes(),
    ];
    // Each required field missing, or of the wrong type.
    for field in [
        "Type",
        "MessageId",
        "TopicArn",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
    ] {
        let mut missing = valid.clone();
        missing.as_object_mut().unwrap().remove(field);
        bodies.push(missing.to_string().into_bytes());
        let mut mistyped = valid.clone();
        mistyped[field] = serde_json::json!(42);
        bodies.push(mistyped.to_string().into_bytes());
    }
    // An unknown Type, a bad timestamp, a signature that isn't base64, a duplicated field.
    for (field, value) in [
        ("Type", "Delivery"),
        ("Timestamp", "yesterday"),
        ("Signature", "!!! not base64 !!!"),
    ] {
        let mut body = valid.clone();
        body[field] = value.into();
        bodies.push(body.to_string().into_bytes());
    }
    let text = valid.to_string();
    bodies.push(text.replacen('{', "{\"Message\":\"other\",", 1).into_bytes());
    // A confirmation without its Token.
    let mut confirmation: serde_json::Value =
        serde_json::from_str(&signer.subscription_confirmation(TOPIC)).unwrap();
    confirmation.as_object_mut().unwrap().remove("Token");
    bodies.push(confirmation.to_string().into_bytes());

    for body in bodies {
        let result = verifier.verify(&body).await;
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        assert!(
            matches!(result, Err(SnsError::Malformed(_))),
            "{shown}: {result:?}"
        );
        // A log line, not an echo of the input.
        let line = result.unwrap_err().to_string();
        assert!(line.len() < 200, "{line}");
    }
    assert_eq!(signer.cert_fetches(), 0);
}

#[test]
fn default_cert_hosts() {
    assert_eq!(
        SnsVerifier::default_cert_host("arn:aws:sns:eu-central-1:123456789012:folio-ses").as_deref(),
        Some("sns.eu-central-1.amazonaws.com")
    );
    assert_eq!(
        SnsVerifier::default_cert_host("arn:aws-cn:sns:cn-north-1:123456789012:folio-ses").as_deref(),
        Some("sns.cn-north-1.amazonaws.com.cn")
    );
    assert_eq!(SnsVerifier::default_cert_host("folio-ses"), None);
}
