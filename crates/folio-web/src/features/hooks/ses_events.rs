//! What an SES bounce or complaint notification says, as SES publishes it through SNS: either
//! an event of a configuration set (`eventType`) or an identity notification
//! (`notificationType`); both carry the same `bounce` / `complaint` objects.

use folio_db::queries::email_suppressions::Reason;
use serde::Deserialize;

/// The addresses a notification says must get no more mail.
#[derive(Debug, PartialEq, Eq)]
pub struct Suppressions {
    pub reason: Reason,
    /// What SES said, for the admin: bounce subtype or complaint feedback type.
    pub detail: String,
    /// Lower-cased.
    pub addresses: Vec<String>,
}

/// What a notification means for Folio.
#[derive(Debug, PartialEq, Eq)]
pub enum SesEvent {
    /// A hard bounce or a complaint.
    Suppress(Suppressions),
    /// A transient (soft) bounce: SES retried already; the address stays.
    SoftBounce { addresses: usize },
    /// Anything else (deliveries, SES's setup test message, event types not subscribed to).
    Other(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    event_type: Option<String>,
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// The longest address kept (RFC 5321's limit, and the column's width).
const MAX_ADDRESS_LEN: usize = 254;

/// Reads the `Message` of a verified SNS notification.
pub fn parse(message: &str) -> Result<SesEvent, String> {
    let notification: Notification =
        serde_json::from_str(message).map_err(|err| format!("not an SES notification: {err}"))?;
    let kind = notification
        .event_type
        .or(notification.notification_type)
        .unwrap_or_default();
    match kind.as_str() {
        "Bounce" => {
            let bounce = notification.bounce.ok_or("a Bounce without a bounce object")?;
            let addresses = addresses(&bounce.bounced_recipients)?;
            if bounce.bounce_type != "Permanent" {
                return Ok(SesEvent::SoftBounce {
                    addresses: addresses.len(),
                });
            }
            Ok(SesEvent::Suppress(Suppressions {
                reason: Reason::Bounce,
                detail: format!("{} bounce", detail_text(&bounce.bounce_sub_type, "Permanent")),
                addresses,
            }))
        }
        "Complaint" => {
            let complaint = notification
                .complaint
                .ok_or("a Complaint without a complaint object")?;
            let feedback = complaint.complaint_feedback_type.unwrap_or_default();
            Ok(SesEvent::Suppress(Suppressions {
                reason: Reason::Complaint,
                detail: format!("complaint: {}", detail_text(&feedback, "not given")),
                addresses: addresses(&complaint.complained_recipients)?,
            }))
        }
        other => Ok(SesEvent::Other(detail_text(other, "no type"))),
    }
}

fn addresses(recipients: &[Recipient]) -> Result<Vec<String>, String> {
    let addresses: Vec<String> = recipients
        .iter()
        .map(|recipient| bare_address(&recipient.email_address))
        .filter(|address| address.len() <= MAX_ADDRESS_LEN && address.contains('@'))
        .collect();
    if addresses.is_empty() {
        return Err("no usable recipient address".into());
    }
    Ok(addresses)
}

/// `Name <a@b>` or `a@b`, lower-cased, as subscribers' and users' emails are stored.
fn bare_address(raw: &str) -> String {
    let inner = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    inner.trim().to_lowercase()
}

/// A short printable version of a value SES sent, or `fallback` when it is empty.
fn detail_text(value: &str, fallback: &str) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).take(60).collect();
    if clean.is_empty() {
        fallback.to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounces_and_complaints_suppress() {
        let bounce = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"Gone@Example.org"},{"emailAddress":"Reader <two@example.org>"}]},
            "mail":{"messageId":"m"}}"#;
        assert_eq!(
            parse(bounce).unwrap(),
            SesEvent::Suppress(Suppressions {
                reason: Reason::Bounce,
                detail: "General bounce".into(),
                addresses: vec!["gone@example.org".into(), "two@example.org".into()],
            })
        );
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complaintFeedbackType":"abuse",
            "complainedRecipients":[{"emailAddress":"angry@example.org"}]}}"#;
        assert_eq!(
            parse(complaint).unwrap(),
            SesEvent::Suppress(Suppressions {
                reason: Reason::Complaint,
                detail: "complaint: abuse".into(),
                addresses: vec!["angry@example.org".into()],
            })
        );
    }

    #[test]
    fn soft_bounces_and_other_events_keep_the_address() {
        let soft = r#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull",
            "bouncedRecipients":[{"emailAddress":"full@example.org"}]}}"#;
        assert_eq!(parse(soft).unwrap(), SesEvent::SoftBounce { addresses: 1 });
        assert_eq!(
            parse(r#"{"eventType":"Delivery","delivery":{}}"#).unwrap(),
            SesEvent::Other("Delivery".into())
        );
        assert_eq!(
            parse(r#"{"notificationType":"AmazonSnsSubscriptionSucceeded"}"#).unwrap(),
            SesEvent::Other("AmazonSnsSubscriptionSucceeded".into())
        );
    }

    #[test]
    fn malformed_notifications_are_errors() {
        for message in [
            "",
            "not json",
            "[]",
            r#"{"eventType":"Bounce"}"#,
            r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[]}}"#,
            r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"no-at-sign"}]}}"#,
        ] {
            assert!(parse(message).is_err(), "{message}");
        }
    }
}
